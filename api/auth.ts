import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DEFAULT_RATE_LIMIT, type ApiKey } from '../config';
import { Problem, problems } from './problem';
import { RateLimiter } from './rate-limit';

export type Role = ApiKey['role'];

declare module 'fastify' {
  interface FastifyRequest {
    /** A caller already authenticated another way than by API key (/codec's identity tokens, api/oidc.ts). */
    verifiedCaller?: Caller;
  }
}

export interface Caller {
  role: Role;
  name: string;
  merchantId?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Keys are configured as SHA-256 digests only and compared by digest in constant time; each key's
 * requests are rate limited (429 with Retry-After) before its role is checked.
 */
export function createAuthenticator(keys: readonly ApiKey[], limiter = new RateLimiter()) {
  const table = keys.map((k) => ({
    hash: Buffer.from(k.sha256, 'hex'),
    rateLimit: k.rateLimit ?? DEFAULT_RATE_LIMIT,
    caller: { role: k.role, name: k.name, merchantId: k.merchantId } satisfies Caller,
  }));
  return function authenticate(req: FastifyRequest, roles: readonly Role[]): Caller {
    if (req.verifiedCaller) return allowed(req.verifiedCaller, roles);
    const header = req.headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!match) throw problems.unauthorized('send Authorization: Bearer <api key>');
    const hash = digest(match[1].trim());
    // Every entry is compared, so the time taken does not depend on which key matched.
    let found: (typeof table)[number] | undefined;
    for (const k of table) if (timingSafeEqual(k.hash, hash)) found ??= k;
    if (!found) throw problems.unauthorized('unknown API key');
    const taken = limiter.take(found.hash.toString('hex'), found.rateLimit);
    if (!taken.allowed) {
      throw new Problem(
        429,
        'rate-limited',
        `key "${found.caller.name}" exceeded its rate limit of ${found.rateLimit.perSecond} requests per second (burst ${found.rateLimit.burst}); retry after ${taken.retryAfterSeconds}s`,
        undefined,
        { 'Retry-After': String(taken.retryAfterSeconds) },
      );
    }
    return allowed(found.caller, roles);
  };
}

function allowed(caller: Caller, roles: readonly Role[]): Caller {
  if (!roles.includes(caller.role))
    throw problems.forbidden(`role ${caller.role} may not call this; allowed: ${roles.join(', ')}`);
  return caller;
}
