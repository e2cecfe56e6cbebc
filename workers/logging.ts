import pino from 'pino';

/** Structured logs; PII fields and secrets never reach them. */
export function createLogger(level: string, name: string) {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.phone', '*.*.phone', 'customer.name', '*.customer.name', '*.recipient', '*.*.recipient', '*.email', '*.line1', '*.cardToken', '*.token', 'req.headers.authorization', 'req.headers["x-signature"]', '*.secret'],
      censor: '[redacted]',
    },
  });
}
