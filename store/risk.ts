import { createHash } from 'node:crypto';
import { riskIdentity, type BlocklistKind } from '../domain';

/** The stored form of a phone, address or customer id for velocity and blocklists: never the PII itself. */
export function riskFingerprint(kind: BlocklistKind, value: Parameters<typeof riskIdentity>[1]): string {
  return createHash('sha256')
    .update(`${kind}:${riskIdentity(kind, value)}`)
    .digest('hex');
}
