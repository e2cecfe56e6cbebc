import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { Caller, Role } from './auth';
import type { AppDeps } from './deps';
import type { Prisma } from '../prisma/generated/client';
import type { Db } from '../store/db';
import {
  IDEMPOTENCY_HEADER,
  idempotencyOf,
  readIdempotencyKey,
  runInTransaction,
  runWithUpdateId,
  type IdempotencySpec,
} from './idempotency';
import { jsonSchema, responsesOf, type SuccessSpec } from './openapi';
import { Problem, problems, zodFieldErrors, type FieldError } from './problem';

/** The body of a request whose JSON did not parse; refused once the caller is known. */
export const MALFORMED_JSON = Symbol('malformed-json');

export interface RouteInput<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  caller: Caller;
  req: FastifyRequest;
  reply: FastifyReply;
  /** `via: 'update'` routes: the Update id derived from the Idempotency-Key (undefined without a key: a fresh one). */
  updateId?: string;
  /** `via: 'transaction'` routes with a key: write (and read what you answer) through this transaction. */
  tx?: Prisma.TransactionClient;
  /** Work to do once the write is committed (e.g. waking backorders): at once without `tx`. */
  afterCommit(work: () => Promise<void>): Promise<void>;
}

export interface RouteSpec<B, P, Q> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  /** The operation's name in /openapi.json and the generated client, verb first: `getOrder`, `listOrders`. */
  operationId: string;
  summary: string;
  tags: string[];
  /** Roles allowed; 'public' needs no key; 'signed' is a webhook checked by its handler. */
  auth: readonly Role[] | 'public' | 'signed';
  body?: ZodType<B>;
  /** A body documented in the OpenAPI document but validated by the handler itself (signed webhooks: after the signature). */
  documentedBody?: ZodType;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  headers?: Record<string, { description: string; required?: boolean }>;
  /** Every POST/PUT/PATCH route says how it honours Idempotency-Key (api/idempotency.ts); the header is documented from it. */
  idempotency?: IdempotencySpec;
  /** The success answer (status, schema from api/schemas.ts); problem+json answers are added from the rest of the declaration. */
  response?: SuccessSpec;
  /** Problem statuses the route answers beyond those its declaration implies (api/openapi.ts problemStatuses). */
  problems?: readonly number[];
  handler(input: RouteInput<B, P, Q>): Promise<unknown>;
}

/** A NUL byte or a UTF-16 surrogate without its pair: text PostgreSQL cannot store (or that no client meant). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is refused
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string of a request (path, query, body, at any depth) is checked, each bad one named (docs/api.md, "Input rules"). */
export function textProblems(value: unknown, path: string[] = []): FieldError[] {
  if (typeof value === 'string')
    return BAD_TEXT.test(value)
      ? [{ field: path.join('.') || '(root)', message: 'must not contain NUL bytes or unpaired UTF-16 surrogates' }]
      : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => textProblems(v, [...path, String(i)]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      ...(BAD_TEXT.test(k) ? [{ field: [...path, k].join('.'), message: 'is not a valid name' }] : []),
      ...textProblems(v, [...path, k]),
    ]);
  return [];
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const bad = textProblems(value);
  if (bad.length) throw problems.validation(bad, where);
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw problems.validation(zodFieldErrors(result.error), where);
  return result.data;
}

/**
 * Generated clients name methods by operationId: two routes with one name would silently collide.
 * Kept per HTTP server, which every resource's plugin scope shares (each scope is its own instance).
 */
const operationIds = new WeakMap<FastifyInstance['server'], Set<string>>();
function uniqueOperationId(app: FastifyInstance, id: string): string {
  const taken = operationIds.get(app.server) ?? new Set<string>();
  if (taken.has(id)) throw new Error(`operationId ${id} is declared twice`);
  operationIds.set(app.server, taken.add(id));
  return id;
}

/**
 * One way to declare a route: zod validates (400 problem+json naming each field) and the same
 * schemas document it in the OpenAPI document, with its success answer, the problem+json answers
 * its declaration implies (api/openapi.ts) and an operationId.
 */
export function defineRoute<B = undefined, P = undefined, Q = undefined>(
  app: FastifyInstance,
  authenticate: (req: FastifyRequest, roles: readonly Role[]) => Caller,
  db: Db,
  spec: RouteSpec<B, P, Q>,
): void {
  const idem = spec.idempotency;
  if (spec.method !== 'GET' && !idem)
    throw new Error(`${spec.method} ${spec.url} must declare how it honours Idempotency-Key`);
  const keyed = idem && (idem.via === 'update' || idem.via === 'transaction') ? idem : undefined;
  const declared = { ...spec.headers };
  if (keyed)
    declared[IDEMPOTENCY_HEADER] = {
      required: keyed.required,
      description: `${keyed.required ? 'Required. ' : ''}Same key and request → the first answer again (header Idempotent-Replayed: true); same key, another request → 409 idempotency-key-reused. Scoped by route, caller and path.`,
    };
  const headers = Object.entries(declared).map(([name, h]) => ({
    name,
    required: h.required ?? false,
    description: h.description,
  }));
  const body = spec.body ?? spec.documentedBody;
  const responses = responsesOf(spec.response, {
    method: spec.method,
    hasBody: Boolean(body),
    hasParams: Boolean(spec.params),
    hasQuery: Boolean(spec.query),
    auth: Array.isArray(spec.auth) ? 'keyed' : spec.auth === 'signed' ? 'signed' : 'public',
    requiredHeader: headers.some((h) => h.required),
    extra: spec.problems,
  });
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      operationId: uniqueOperationId(app, spec.operationId),
      summary: spec.summary,
      tags: spec.tags,
      ...(body ? { body: jsonSchema(body) } : {}),
      ...(spec.params ? { params: jsonSchema(spec.params) } : {}),
      ...(spec.query ? { querystring: jsonSchema(spec.query) } : {}),
      ...(Array.isArray(spec.auth) ? { security: [{ bearer: [] }] } : {}),
      // Who may call it, in the OpenAPI document too (the auth matrix test is generated from it).
      // Array.isArray narrows a readonly array to any[]: the cast keeps its type.
      'x-roles': Array.isArray(spec.auth) ? [...(spec.auth as readonly Role[])] : spec.auth,
      ...(idem ? { 'x-idempotency': idem.via } : {}),
      ...(headers.length
        ? {
            headers: {
              type: 'object',
              properties: Object.fromEntries(
                headers.map((h) => [h.name, { type: 'string', description: h.description }]),
              ),
              required: headers.filter((h) => h.required).map((h) => h.name),
            },
          }
        : {}),
      response: responses,
    },
    handler: async (req, reply) => {
      const caller: Caller = Array.isArray(spec.auth)
        ? authenticate(req, spec.auth)
        : { role: 'platform', name: String(spec.auth) };
      if (req.body === MALFORMED_JSON && spec.auth !== 'signed')
        throw new Problem(400, 'malformed-json', 'the request body is not valid JSON');
      const params = parse(spec.params, req.params, 'path');
      const query = parse(spec.query, req.query, 'query');
      const body = parse(spec.body, req.body, 'body');
      const input: RouteInput<B, P, Q> = { body, params, query, caller, req, reply, afterCommit: (work) => work() };
      const key = keyed && readIdempotencyKey(req, keyed.required);
      if (!keyed || !key) return spec.handler(input);
      const scoped = idempotencyOf(key, `${spec.method} ${spec.url}`, caller.name, params, { body, query });
      if (keyed.via === 'update')
        return runWithUpdateId(db, scoped, reply, () => spec.handler({ ...input, updateId: scoped.updateId }));
      const committed: Array<() => Promise<void>> = [];
      const result = await runInTransaction(db, scoped, reply, (tx) =>
        spec.handler({ ...input, tx, afterCommit: async (work) => void committed.push(work) }),
      );
      for (const work of committed) await work();
      return result;
    },
  });
}

/** defineRoute bound to an app and its authenticator, as route modules receive it. */
export type Define = <B, P, Q>(spec: RouteSpec<B, P, Q>) => void;

/**
 * A resource's routes (api/routes/), registered by api/app.ts as one Fastify plugin: the routes and
 * any hook or parser the resource adds live in the plugin's own scope, `scope`.
 */
export type ResourceRoutes = (deps: AppDeps, define: Define, scope: FastifyInstance) => void;
