import { assessRisk, type Address, type BlocklistKind, type Policy, type RiskOutcome } from '../domain';
import { riskFingerprint } from '../store/risk';
import { runStatement } from '../store/db';
import type { ActivityDeps } from './deps';

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

/**
 * The order's own signals recorded and what the rules count, in one statement (a hot statement,
 * decision 111): $1 order, $2 submitted at, $3 phone and $4 address fingerprints, $5 customer,
 * $6 start of the velocity window, $7 the customer's fingerprint.
 */
const RISK_FACTS = {
  name: 'risk-facts',
  text: `WITH recorded AS (
      INSERT INTO risk_signals (order_id, kind, fingerprint, created_at)
      SELECT $1, s.kind, s.fingerprint, $2::timestamptz FROM (VALUES ('phone', $3::text), ('address', $4::text)) AS s(kind, fingerprint)
      WHERE s.fingerprint IS NOT NULL
      ON CONFLICT DO NOTHING
      RETURNING kind
    )
    SELECT
      (SELECT count(*)::int FROM orders WHERE customer_id = $5::text AND created_at >= $6::timestamptz) AS by_customer,
      (SELECT count(*)::int FROM risk_signals WHERE kind = 'phone' AND fingerprint = $3 AND created_at BETWEEN $6 AND $2)
        + (SELECT count(*)::int FROM recorded WHERE kind = 'phone') AS by_phone,
      (SELECT count(*)::int FROM risk_signals WHERE kind = 'address' AND fingerprint = $4 AND created_at BETWEEN $6 AND $2)
        + (SELECT count(*)::int FROM recorded WHERE kind = 'address') AS by_address,
      c.created_at, c.frozen_at, c.frozen_reason,
      (SELECT json_agg(json_build_object('kind', b.kind, 'reason', b.reason) ORDER BY b.kind) FROM risk_blocklist b
        WHERE (b.kind = 'customer' AND b.fingerprint = $7::text) OR (b.kind = 'phone' AND b.fingerprint = $3)
          OR (b.kind = 'address' AND b.fingerprint = $4)) AS blocked
    FROM (SELECT 1) one LEFT JOIN customers c ON c.id = $5`,
};

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
      const phone = identities.find((i) => i.kind === 'phone')?.fingerprint ?? null;
      const address = identities.find((i) => i.kind === 'address')?.fingerprint ?? null;
      const customerKey = riskFingerprint('customer', req.customerId);
      // One statement, one pooled connection (a burst of orders must not crowd out submissions). It records
      // this order's own signals (idempotent under retries) and counts them like the customer count does:
      // on the first run from `recorded` (the statement's snapshot predates its insert), on a retry from the table.
      const [facts] = await runStatement<{
        by_customer: number;
        by_phone: number;
        by_address: number;
        created_at: Date | null;
        frozen_at: Date | null;
        frozen_reason: string | null;
        blocked: Array<{ kind: BlocklistKind; reason: string }> | null;
      }>(db, RISK_FACTS, [req.orderId, submittedAt, phone, address, req.customerId, since, customerKey]);
      return assessRisk(
        {
          total: req.total,
          recentOrdersByCustomer: facts.by_customer,
          recentOrdersByPhone: phone ? facts.by_phone : undefined,
          recentOrdersByAddress: address ? facts.by_address : undefined,
          frozen: facts.frozen_at ? { reason: facts.frozen_reason ?? 'no reason given' } : undefined,
          blocklisted: facts.blocked ?? [],
          accountAgeSeconds: facts.created_at
            ? Math.max(0, (submittedAt.getTime() - facts.created_at.getTime()) / 1000)
            : undefined,
        },
        req.policy,
      );
    },
  };
}
