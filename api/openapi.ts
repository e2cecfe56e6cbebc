import { z, type ZodType } from 'zod';
import { contract } from './schemas';

/**
 * What api/route.ts's define() writes into /openapi.json besides the request schemas: the success
 * answer, the problem+json answers a route can give, its operationId, and the shared components
 * (docs/decisions/071-response-contract.md). Pure functions of a route's declaration.
 */

const COMPONENTS = '#/components/schemas/';

/** zod's `definitions` of registered schemas become references to the shared components. */
function toComponentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toComponentRefs);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'definitions' || k === '$id' || k === '$schema') continue;
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\/definitions\//, COMPONENTS) : toComponentRefs(v);
  }
  return out;
}

/**
 * zod → OpenAPI 3.0 JSON Schema, the one conversion for requests and responses. `input`: what a
 * client may send (defaults make fields optional); objects stay open either way (no
 * additionalProperties: false), so adding a field to an answer is not a breaking change.
 */
export function jsonSchema(schema: ZodType): Record<string, unknown> {
  const converted = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  });
  return toComponentRefs(converted) as Record<string, unknown>;
}

/** `components.schemas`: every schema of the response contract (api/schemas.ts), by its name. */
export function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(contract, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENTS}${id}`,
  });
  return toComponentRefs(schemas) as Record<string, unknown>;
}

export type SuccessStatus = 200 | 201 | 202 | 204;

/** What a route answers when it succeeds; without it: 200 with some JSON object. */
export interface SuccessSpec {
  /** 201 for creates; several when one call may answer either (a replayed create answers 200). */
  status?: SuccessStatus | readonly SuccessStatus[];
  schema?: ZodType;
  /** Not JSON (the console's HTML): documented as a string of this type. */
  contentType?: string;
  /** The same answer in text forms besides JSON, on request (analytics' `text/csv`): documented as strings. */
  alsoAs?: readonly string[];
  description?: string;
}

/** What a declaration needs to know to say which problems its route can answer. */
export interface ProblemFacts {
  method: string;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
  /** 'keyed': an API key (401, 403, 429); 'signed': a webhook signature (401); 'public': neither. */
  auth: 'keyed' | 'signed' | 'public';
  /** A required Idempotency-Key or other header: its absence is 400. */
  requiredHeader: boolean;
  /** Further statuses the route declares itself. */
  extra?: readonly number[];
}

const PROBLEM_TEXT: Record<number, string> = {
  400: 'The request is invalid (each bad field named in `errors`)',
  401: 'No API key, an unknown one, or (webhooks) a bad signature',
  403: "The key's role may not call this operation",
  404: 'The resource (or one the request names) does not exist or is not visible to this key',
  405: 'Method not allowed',
  409: 'Refused in the current state, or an Idempotency-Key reused with another request',
  413: 'The body is too large',
  414: 'A path parameter is longer than any the API accepts',
  415: 'The body is not application/json',
  422: 'Understood but cannot be done (each reason named in `errors`)',
  429: 'Rate limited: retry after `Retry-After` seconds',
  503: 'The database or Temporal is unavailable or overloaded: retry after `Retry-After` seconds',
};

/** The problem statuses a route can answer, from what it declares (docs/api.md, "Errors"). */
export function problemStatuses(f: ProblemFacts): number[] {
  const s = new Set<number>([503, ...(f.extra ?? [])]);
  if (f.hasBody || f.hasParams || f.hasQuery || f.requiredHeader) s.add(400);
  if (f.auth !== 'public') s.add(401);
  if (f.auth === 'keyed') s.add(403).add(429);
  // A path parameter longer than the router takes (maxParamLength) is 414 before any schema runs.
  if (f.hasParams) s.add(404).add(414);
  if (f.method !== 'GET') s.add(409).add(422);
  if (f.hasBody) s.add(413).add(415);
  return [...s].sort((a, b) => a - b);
}

const retryAfter = { 'Retry-After': { type: 'integer', description: 'seconds to wait before retrying' } };

function problemResponse(status: number) {
  return {
    description: PROBLEM_TEXT[status] ?? 'A problem',
    ...(status === 429 || status === 503 ? { headers: retryAfter } : {}),
    content: { 'application/problem+json': { schema: { $ref: `${COMPONENTS}Problem` } } },
  };
}

function successResponse(success: SuccessSpec | undefined, status: SuccessStatus) {
  const description = success?.description ?? (status === 201 ? 'Created' : status === 202 ? 'Accepted' : 'OK');
  if (status === 204) return { description, type: 'null' };
  if (success?.contentType) return { description, content: { [success.contentType]: { schema: { type: 'string' } } } };
  // A route without a declared answer still documents one: some JSON object.
  const schema = success?.schema ? jsonSchema(success.schema) : { type: 'object', additionalProperties: true };
  const text = Object.fromEntries((success?.alsoAs ?? []).map((type) => [type, { schema: { type: 'string' } }]));
  return { description, content: { 'application/json': { schema }, ...text } };
}

/** The `response` of a Fastify route schema (read by @fastify/swagger; never used to serialize). */
export function responsesOf(success: SuccessSpec | undefined, facts: ProblemFacts): Record<string, unknown> {
  const statuses: SuccessStatus[] = [success?.status ?? 200].flat();
  const entries: Array<[string, unknown]> = [
    ...statuses.map((s): [string, unknown] => [String(s), successResponse(success, s)]),
    ...problemStatuses(facts).map((s): [string, unknown] => [String(s), problemResponse(s)]),
  ];
  return Object.fromEntries(entries);
}
