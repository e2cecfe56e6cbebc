import { resolvePolicy, type PolicyOverrides } from '../domain';
import type { ActivityDeps } from './deps';

export type DifferenceKind =
  | 'missing_capture'
  | 'unknown_capture'
  | 'amount_mismatch'
  | 'unknown_refund'
  | 'missing_refund'
  | 'unconfirmed_refund'
  | 'release_mismatch';

export interface Difference {
  kind: DifferenceKind;
  provider: string | null;
  orderId: string | null;
  paymentId: string | null;
  refundId: string | null;
  reference: string | null;
  ours: number | null;
  theirs: number | null;
}

/**
 * Compares the providers' books (simulator_records: what a real provider's settlement report lists)
 * with ours, for records of either side created in [from, to):
 * - captures by payment id (a card authorization once captured): the provider captured and we did not record it (`missing_capture`), we
 *   recorded a capture the provider does not have (`unknown_capture`), or the amounts differ;
 * - refunds by their idempotency key (our refund decision's id): the provider refunded without a
 *   decision of ours (`unknown_refund`), our decision is marked done but the provider has no refund
 *   (`missing_refund`), the provider refunded a decision we never saw confirmed (`unconfirmed_refund`:
 *   a wallet refund only once it has awaited its notification longer than refundConfirmSeconds), or
 *   the amounts differ. Releases (`kind = 'release'`: part of an uncaptured card authorization let go)
 *   move no money and are not refunds;
 * - releases by payment against the gateway's authorization: what we released in total must be what
 *   the authorization let go once settled (authorized − captured, or all of it once voided); an
 *   authorization still open is not yet settled and not compared (`release_mismatch` otherwise).
 * Cash on delivery has no provider books and is left out. `to` should lie a little in the past, so
 * calls still in flight are not reported.
 */
export function createReconciliationActivities({ db }: ActivityDeps) {
  return {
    async reconcilePayments(req: {
      runId: string;
      from: string;
      to: string;
    }): Promise<{ runId: string; capturesChecked: number; refundsChecked: number; differences: number }> {
      const existing = await db.reconciliationRun.findUnique({ where: { id: req.runId } });
      if (existing)
        return {
          runId: existing.id,
          capturesChecked: existing.capturesChecked,
          refundsChecked: existing.refundsChecked,
          differences: existing.differences,
        }; // a retried run reports once
      const from = new Date(req.from);
      const to = new Date(req.to);
      const inWindow = (at: Date | null) => at !== null && at >= from && at < to;

      const captures = await db.$queryRaw<
        Array<{
          payment_id: string;
          provider: string | null;
          order_id: string;
          reference: string | null;
          theirs: number | null;
          ours: number | null;
          their_at: Date | null;
          our_at: Date | null;
        }>
      >`
        WITH theirs AS (
          SELECT provider, response->>'paymentId' AS payment_id, order_id, reference, amount, created_at FROM simulator_records
          WHERE (kind = 'charge' AND status = 'captured') OR (kind = 'payment_intent' AND status = 'paid')
          UNION ALL -- a card authorization counts once captured, for what was captured
          SELECT provider, response->>'paymentId', order_id, reference, (response->>'capturedAmount')::int, created_at FROM simulator_records
          WHERE kind = 'authorization' AND status = 'captured'
        ), ours AS (
          SELECT id AS payment_id, order_id, captured_amount AS amount, created_at FROM payments WHERE method <> 'cod' AND captured_amount > 0
        )
        SELECT coalesce(t.payment_id, o.payment_id) AS payment_id, t.provider, coalesce(t.order_id, o.order_id) AS order_id, t.reference,
               t.amount AS theirs, o.amount AS ours, t.created_at AS their_at, o.created_at AS our_at
        FROM theirs t FULL OUTER JOIN ours o ON o.payment_id = t.payment_id
        WHERE (t.created_at >= ${from} AND t.created_at < ${to}) OR (o.created_at >= ${from} AND o.created_at < ${to})`;

      const refunds = await db.$queryRaw<
        Array<{
          refund_id: string;
          provider: string | null;
          order_id: string;
          payment_id: string | null;
          reference: string | null;
          theirs: number | null;
          ours: number | null;
          our_status: string | null;
          our_at: Date | null;
          merchant_policy: PolicyOverrides | null;
        }>
      >`
        WITH theirs AS (
          SELECT provider, idempotency_key, order_id, reference, amount, created_at FROM simulator_records WHERE kind = 'refund' AND status = 'succeeded'
        )
        SELECT coalesce(t.idempotency_key, r.id) AS refund_id, t.provider, coalesce(t.order_id, r.order_id) AS order_id, r.payment_id, t.reference,
               t.amount AS theirs, r.amount AS ours, r.status AS our_status, r.created_at AS our_at, r.merchant_policy
        FROM theirs t FULL OUTER JOIN (
          SELECT r.*, m.policy AS merchant_policy FROM refunds r JOIN payments p ON p.id = r.payment_id AND p.method <> 'cod'
          JOIN orders o ON o.id = r.order_id JOIN merchants m ON m.id = o.merchant_id
          WHERE r.kind <> 'release'
        ) r ON r.id = t.idempotency_key
        WHERE (t.created_at >= ${from} AND t.created_at < ${to}) OR (r.created_at >= ${from} AND r.created_at < ${to})`;

      const releases = await db.$queryRaw<
        Array<{
          payment_id: string;
          order_id: string;
          ours: number;
          provider: string | null;
          reference: string | null;
          status: string | null;
          authorized: number | null;
          captured: number | null;
        }>
      >`
        WITH ours AS (
          SELECT payment_id, order_id, sum(amount)::int AS ours FROM refunds WHERE kind = 'release' GROUP BY payment_id, order_id
          HAVING max(created_at) >= ${from} AND max(created_at) < ${to}
        )
        SELECT o.payment_id, o.order_id, o.ours, a.provider, a.reference, a.status, a.amount AS authorized, (a.response->>'capturedAmount')::int AS captured
        FROM ours o LEFT JOIN simulator_records a ON a.kind = 'authorization' AND a.response->>'paymentId' = o.payment_id AND a.status IN ('authorized', 'captured', 'voided')`;
      // A wallet refund the provider completed but whose notification has not reached us yet is on its
      // way (its confirmation workflow asks again after refundConfirmSeconds): a difference only once
      // it has been awaiting confirmation longer than that window.
      const now = Date.now();
      const awaitingConfirmation = (r: {
        our_status: string | null;
        our_at: Date | null;
        merchant_policy: PolicyOverrides | null;
      }) =>
        r.our_status === 'pending' &&
        r.our_at !== null &&
        now - r.our_at.getTime() < resolvePolicy(r.merchant_policy ?? undefined).refundConfirmSeconds * 1000;

      const found: Difference[] = [];
      for (const c of captures) {
        if (!inWindow(c.their_at) && !inWindow(c.our_at)) continue;
        const kind: DifferenceKind | undefined =
          c.ours === null
            ? 'missing_capture'
            : c.theirs === null
              ? 'unknown_capture'
              : c.ours !== c.theirs
                ? 'amount_mismatch'
                : undefined;
        if (kind)
          found.push({
            kind,
            provider: c.provider,
            orderId: c.order_id,
            paymentId: c.payment_id,
            refundId: null,
            reference: c.reference,
            ours: c.ours,
            theirs: c.theirs,
          });
      }
      for (const r of refunds) {
        let kind: DifferenceKind | undefined;
        if (r.ours === null) kind = 'unknown_refund';
        else if (r.theirs === null)
          kind = r.our_status === 'succeeded' ? 'missing_refund' : undefined; // a decision not yet carried out is not money moved
        else if (r.our_status !== 'succeeded') kind = awaitingConfirmation(r) ? undefined : 'unconfirmed_refund';
        else if (r.ours !== r.theirs) kind = 'amount_mismatch';
        if (kind)
          found.push({
            kind,
            provider: r.provider,
            orderId: r.order_id,
            paymentId: r.payment_id,
            refundId: r.refund_id,
            reference: r.reference,
            ours: r.ours,
            theirs: r.theirs,
          });
      }

      for (const r of releases) {
        if (r.status === 'authorized') continue; // not settled yet: the capture will say what was let go
        const theirs =
          r.status === 'voided'
            ? r.authorized
            : r.status === 'captured'
              ? (r.authorized ?? 0) - (r.captured ?? 0)
              : null;
        if (theirs !== r.ours)
          found.push({
            kind: 'release_mismatch',
            provider: r.provider,
            orderId: r.order_id,
            paymentId: r.payment_id,
            refundId: null,
            reference: r.reference,
            ours: r.ours,
            theirs,
          });
      }
      await db.$transaction([
        db.reconciliationRun.create({
          data: {
            id: req.runId,
            windowFrom: from,
            windowTo: to,
            capturesChecked: captures.length,
            refundsChecked: refunds.length,
            differences: found.length,
          },
        }),
        db.reconciliationDifference.createMany({ data: found.map((d) => ({ runId: req.runId, ...d })) }),
      ]);
      return {
        runId: req.runId,
        capturesChecked: captures.length,
        refundsChecked: refunds.length,
        differences: found.length,
      };
    },
  };
}
