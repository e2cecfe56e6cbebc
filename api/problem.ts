import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem: stable `type` slug, HTTP status, human detail, optional per-field errors. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** Response headers that belong to the problem, e.g. Retry-After on 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const problems = {
  validation: (errors: FieldError[], where = 'request') =>
    new Problem(
      400,
      'validation-error',
      `The ${where} is invalid: ${errors.map((e) => `${e.field} ${e.message}`).join('; ')}`,
      errors,
    ),
  unprocessable: (detail: string, errors?: FieldError[]) => new Problem(422, 'unprocessable', detail, errors),
  notFound: (what: string) => new Problem(404, 'not-found', `${what} was not found`),
  conflict: (slug: string, detail: string) => new Problem(409, slug, detail),
  unauthorized: (detail: string) => new Problem(401, 'unauthorized', detail),
  forbidden: (detail: string) => new Problem(403, 'forbidden', detail),
  unavailable: (detail: string) => new Problem(503, 'unavailable', detail),
};

export function zodFieldErrors(error: ZodError, prefix?: string): FieldError[] {
  return error.issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: i.message,
  }));
}

/** What pg's pool and Prisma say when no connection or transaction could be had in time. */
const NO_CONNECTION_IN_TIME = /Unable to start a transaction in the given time|timeout exceeded when trying to connect/;

/**
 * No database connection or transaction could be had in time (Prisma P2024 / P2028, the pool's
 * CONNECTION_WAIT_MS in store/db.ts), or a statement of a transaction on the pool ran out of its time
 * (57014, store/db.ts inTransaction): overload, not a bug — 503 with Retry-After, so clients back off
 * and retry (idempotently, with their key).
 */
function isDatabaseSaturated(err: unknown): boolean {
  return someCause(err, (o) => {
    if ([o.code, o.originalCode].some((c) => c === 'P2024' || c === 'P2028' || c === '57014')) return true;
    return typeof o.message === 'string' && NO_CONNECTION_IN_TIME.test(o.message);
  });
}

/** Postgres SQLSTATEs of a database that is not there: connection exceptions, shutdowns, "cannot connect now". */
const UNAVAILABLE_SQLSTATES = /^(08\d{3}|57P0[1-4]|53300)$/;
/** Prisma's codes for an unreachable server, a failed or timed-out connection, a closed one. */
const UNAVAILABLE_PRISMA = new Set(['P1001', 'P1002', 'P1008', 'P1017']);
const UNAVAILABLE_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
]);
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const UNAVAILABLE_TEXT =
  /can't reach database server|server has closed the connection|connection terminated|terminating connection|database system is (shutting down|starting up|in recovery mode)|connection (refused|reset)|Connection is closed|ECONNREFUSED|ECONNRESET|the database system is not yet accepting connections/i;

/**
 * The database is not there (restarting, shutting down, unreachable, the connection dropped): not a
 * bug and not the request's fault — 503 with Retry-After, on every route.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return someCause(err, (o) => {
    for (const code of [o.code, o.originalCode]) {
      if (typeof code !== 'string') continue;
      if (UNAVAILABLE_PRISMA.has(code) || UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_ERRNO.has(code)) return true;
    }
    if (typeof o.kind === 'string' && UNAVAILABLE_KINDS.has(o.kind)) return true;
    return typeof o.message === 'string' && UNAVAILABLE_TEXT.test(o.message);
  });
}

/**
 * PostgreSQL gave up this request's transaction for another's (a deadlock, 40P01, or a serialization
 * failure, 40001; Prisma P2034): it was rolled back whole, so it is safe to send again — 503 with
 * Retry-After, not 500.
 */
export function isWriteConflict(err: unknown): boolean {
  return someCause(err, (o) => [o.code, o.originalCode].some((c) => c === 'P2034' || c === '40P01' || c === '40001'));
}

interface ErrorLike {
  code?: unknown;
  originalCode?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: unknown };
}

/** Whether `err` or any error it wraps (Prisma's meta.driverAdapterError, error causes) matches. */
function someCause(err: unknown, matches: (e: ErrorLike) => boolean): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as ErrorLike;
    if (matches(o)) return true;
    queue.push(o.cause, o.meta?.driverAdapterError);
  }
  return false;
}

/**
 * A value PostgreSQL refused as data (SQLSTATE class 22: out of range, invalid text, bad date): the
 * edge's rules (api/route.ts, schemas) should have said so first; should one slip through, it is
 * still the request's fault — 400, never 500.
 */
export function isInvalidData(err: unknown): boolean {
  const e = err as
    | { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } }
    | undefined;
  const cause = e?.meta?.driverAdapterError?.cause;
  return [e?.code, cause?.originalCode, cause?.code].some((c) => typeof c === 'string' && /^22[0-9A-Z]{3}$/.test(c));
}

/**
 * Errors Fastify's router answers before any route or hook runs (a malformed URL, a path parameter
 * longer than maxParamLength → 414): problem+json too, as the OpenAPI document says (api/openapi.ts).
 */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 400;
  void reply
    .status(status)
    .type('application/problem+json')
    .send({
      type: status === 414 ? '/problems/uri-too-long' : '/problems/bad-request',
      title: TITLES[status] ?? 'Error',
      status,
      detail: err.message,
      instance: req.url,
    });
}

/** 503 with Retry-After: nothing was done, and the same request (with its Idempotency-Key) may be sent again. */
const retryLater = (why: string, seconds: number) =>
  new Problem(
    503,
    'unavailable',
    `${why}; retry shortly (with the same Idempotency-Key where the request has one)`,
    undefined,
    { 'retry-after': String(seconds) },
  );

/** Every error leaves as application/problem+json; unexpected ones are logged and hidden. */
export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Problem, req, reply) => {
    let problem: Problem;
    if (err instanceof Problem) problem = err;
    else if ((err as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      problem = new Problem(415, 'unsupported-media-type', 'send application/json');
    else if (isDatabaseSaturated(err)) {
      req.log.warn({ err }, 'database saturated');
      problem = retryLater('the engine is overloaded', 1);
    } else if (isDatabaseUnavailable(err)) {
      req.log.warn({ err }, 'database unavailable');
      problem = retryLater('the database is unavailable', 2);
    } else if (isWriteConflict(err)) {
      req.log.warn({ err }, 'transaction gave way to a concurrent one');
      problem = retryLater('a concurrent change conflicted with this one and nothing was changed', 1);
    } else if (isInvalidData(err)) {
      req.log.warn({ err }, 'the database refused a value');
      problem = new Problem(400, 'validation-error', 'a value of the request is out of range or not valid text');
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      problem = new Problem((err as FastifyError).statusCode!, 'bad-request', err.message);
    } else {
      req.log.error({ err }, 'unhandled error');
      problem = new Problem(500, 'internal', 'An unexpected error occurred; it has been logged.');
    }
    if (problem.headers) void reply.headers(problem.headers);
    void reply
      .status(problem.status)
      .type('application/problem+json')
      .send({
        type: `/problems/${problem.slug}`,
        title: TITLES[problem.status] ?? 'Error',
        status: problem.status,
        detail: problem.detail,
        instance: req.url,
        ...(problem.errors ? { errors: problem.errors } : {}),
      });
  });
  // A known path asked with a method it does not declare is 405 with Allow, not 404.
  const routes: Array<{ method: string; pattern: RegExp }> = [];
  app.addHook('onRoute', (r) => {
    const pattern = new RegExp(
      `^${r.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`,
    );
    for (const method of [r.method].flat()) routes.push({ method: method.toUpperCase(), pattern });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .type('application/problem+json')
        .send({
          type: '/problems/method-not-allowed',
          title: 'Method Not Allowed',
          status: 405,
          detail: `${req.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
          instance: req.url,
        });
      return;
    }
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: '/problems/not-found',
        title: 'Not Found',
        status: 404,
        detail: `no route ${req.method} ${req.url}`,
        instance: req.url,
      });
  });
}
