import pino, { type DestinationStream } from 'pino';

/** Keys whose values are PII or secrets wherever they appear in a log object, at any depth. */
const SENSITIVE_KEYS = new Set([
  'phone',
  'recipient',
  'email',
  'line1',
  'postalcode',
  'cardtoken',
  'token',
  'authorization',
  'x-signature',
  'secret',
  'password',
  'apikey',
  'payloadkeys',
  'payload_keys',
  'api_keys',
  'apikeys',
]);
/** Objects whose `name` is a person's (not an error's or a logger's). */
const PERSON_OBJECTS = new Set(['customer', 'shippingaddress', 'address']);
const CENSOR = '[redacted]';

function redactDeep(value: unknown, parentKey: string, seen: WeakSet<object>): unknown {
  if (!value || typeof value !== 'object' || value instanceof Error) return value;
  if (seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, parentKey, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const lower = k.toLowerCase();
    if (SENSITIVE_KEYS.has(lower) || (lower === 'name' && PERSON_OBJECTS.has(parentKey)))
      out[k] = v === undefined ? v : CENSOR;
    else out[k] = redactDeep(v, lower, seen);
  }
  return out;
}

/**
 * Structured logs; PII (names, phones, addresses, emails, card tokens) and secrets (keys, signatures)
 * never reach them, at whatever depth they are logged. Errors keep their name and message.
 */
export function createLogger(level: string, name: string, destination?: DestinationStream) {
  return pino(
    {
      name,
      level,
      formatters: { log: (object) => redactDeep(object, '', new WeakSet()) as Record<string, unknown> },
      // Request headers are added by Fastify's serializers after the formatter: redacted by path.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-signature"]',
          'headers.authorization',
          'headers["x-signature"]',
        ],
        censor: CENSOR,
      },
    },
    destination,
  );
}
