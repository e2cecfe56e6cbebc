import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiKey } from '../config';
import { problems } from './problem';

export type Role = ApiKey['role'];

export interface Caller {
  role: Role;
  name: string;
  merchantId?: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Keys are compared by digest in constant time; the raw keys are not kept. */
export function createAuthenticator(keys: readonly ApiKey[]) {
  const table = keys.map((k) => ({ hash: digest(k.key), caller: { role: k.role, name: k.name, merchantId: k.merchantId } satisfies Caller }));
  return function authenticate(req: FastifyRequest, roles: readonly Role[]): Caller {
    const header = req.headers.authorization;
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
    if (!match) throw problems.unauthorized('send Authorization: Bearer <api key>');
    const hash = digest(match[1].trim());
    const found = table.find((k) => timingSafeEqual(k.hash, hash));
    if (!found) throw problems.unauthorized('unknown API key');
    if (!roles.includes(found.caller.role)) throw problems.forbidden(`role ${found.caller.role} may not call this; allowed: ${roles.join(', ')}`);
    return found.caller;
  };
}
