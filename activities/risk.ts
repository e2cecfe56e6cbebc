import { createHash } from 'node:crypto';
import { assessRisk, riskIdentity, type Address, type BlocklistKind, type Policy, type RiskOutcome } from '../domain';
import type { ActivityDeps } from './deps';

/** The stored form of a phone, address or customer id for velocity and blocklists: never the PII itself. */
export function riskFingerprint(kind: BlocklistKind, value: Parameters<typeof riskIdentity>[1]): string {
  return createHash('sha256').update(`${kind}:${riskIdentity(kind, value)}`).digest('hex');
}

export interface RiskRequest {
  orderId: string;
  customerId: string;
  total: number;
  submittedAt: string;
  policy: Policy;
  /** Optional so that histories recorded before these rules replay unchanged. */
  phone?: string;
  address?: Address;
}

export function createRiskActivities({ db }: ActivityDeps) {
  return {
    /** Gathers the facts the rules need (velocity, account, blocklist) and applies domain/risk.ts. */
    async assessOrderRisk(req: RiskRequest): Promise<RiskOutcome> {
      const submittedAt = new Date(req.submittedAt);
      const since = new Date(submittedAt.getTime() - req.policy.riskVelocityWindowSeconds * 1000);
      const identities = [
        ...(req.phone ? [{ kind: 'phone' as const, fingerprint: riskFingerprint('phone', req.phone) }] : []),
        ...(req.address ? [{ kind: 'address' as const, fingerprint: riskFingerprint('address', req.address) }] : []),
      ];
      // This order's own signals first (idempotent under retries), so the counts include it like the customer count.
      await db.riskSignal.createMany({ data: identities.map((i) => ({ orderId: req.orderId, ...i, createdAt: submittedAt })), skipDuplicates: true });
      const countSignals = (kind: 'phone' | 'address') => {
        const id = identities.find((i) => i.kind === kind);
        return id ? db.riskSignal.count({ where: { kind, fingerprint: id.fingerprint, createdAt: { gte: since, lte: submittedAt } } }) : Promise.resolve(undefined);
      };
      const blocklistKeys = [{ kind: 'customer', fingerprint: riskFingerprint('customer', req.customerId) }, ...identities];
      const [recentOrdersByCustomer, recentOrdersByPhone, recentOrdersByAddress, customer, blocked] = await Promise.all([
        db.order.count({ where: { customerId: req.customerId, createdAt: { gte: since } } }),
        countSignals('phone'),
        countSignals('address'),
        db.customer.findUnique({ where: { id: req.customerId }, select: { createdAt: true, frozenAt: true, frozenReason: true } }),
        db.riskBlocklistEntry.findMany({ where: { OR: blocklistKeys.map(({ kind, fingerprint }) => ({ kind, fingerprint })) } }),
      ]);
      return assessRisk(
        {
          total: req.total,
          recentOrdersByCustomer,
          recentOrdersByPhone,
          recentOrdersByAddress,
          frozen: customer?.frozenAt ? { reason: customer.frozenReason ?? 'no reason given' } : undefined,
          blocklisted: blocked.map((b) => ({ kind: b.kind as BlocklistKind, reason: b.reason })),
          accountAgeSeconds: customer ? Math.max(0, (submittedAt.getTime() - customer.createdAt.getTime()) / 1000) : undefined,
        },
        req.policy,
      );
    },
  };
}
