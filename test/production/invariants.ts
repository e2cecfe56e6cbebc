import type { Db } from '../../store/db';

/**
 * What must hold whatever happened, read from our database and from the providers' own books
 * (the simulators' records): the counts the chaos run prints and the production suite asserts.
 */
export interface Invariants {
  /** Orders accepted (201/200 with an id) that have no row in our database. */
  lost: number;
  /** Orders whose providers hold more money than the order's total (captured or charged twice), or a payment captured more than once at a provider. */
  doubleCharges: number;
  /** Stock rows promising more than there is: reserved + allocated > on_hand. */
  oversell: number;
  /** Payments refunded beyond what was captured, in our books or the provider's. */
  refundsAboveCapture: number;
  /** Inventory rows with a negative count. */
  negativeStock: number;
  /** Orders by status (ours). */
  byStatus: Record<string, number>;
}

export async function checkInvariants(db: Db, acceptedIds: string[]): Promise<Invariants> {
  const known = new Set(
    (await db.order.findMany({ where: { id: { in: acceptedIds } }, select: { id: true } })).map((o) => o.id),
  );
  const lost = acceptedIds.filter((id) => !known.has(id)).length;

  // Provider side: per order, what was taken (card captures, wallet payments, charges) and refunded.
  const taken = await db.$queryRaw<Array<{ order_id: string; taken: number; total: number; captures: number }>>`
    SELECT o.id AS order_id, o.total::int AS total,
      COALESCE(SUM(CASE
        WHEN s.kind = 'charge' AND s.status = 'captured' THEN s.amount
        WHEN s.kind = 'payment_intent' AND s.status = 'paid' THEN s.amount
        WHEN s.kind = 'authorization' AND s.status = 'captured' THEN (s.response->>'capturedAmount')::int
        ELSE 0 END), 0)::int AS taken,
      COUNT(*) FILTER (WHERE (s.kind = 'authorization' AND s.status = 'captured') OR (s.kind = 'charge' AND s.status = 'captured') OR (s.kind = 'payment_intent' AND s.status = 'paid'))::int AS captures
    FROM orders o LEFT JOIN simulator_records s ON s.order_id = o.id AND s.provider IN ('card', 'wechat_pay', 'alipay')
    GROUP BY o.id, o.total`;
  // An order pays at most its total plus what it was charged extra (dearer substitutes): compare
  // with the sum of its payments' amounts, which include those extra charges.
  const paymentAmounts = new Map(
    (
      await db.$queryRaw<
        Array<{ order_id: string; amount: number; n: number }>
      >`SELECT order_id, SUM(amount)::int AS amount, COUNT(*)::int AS n FROM payments WHERE method <> 'cod' GROUP BY order_id`
    ).map((r) => [r.order_id, r]),
  );
  const doubleCharges = taken.filter(
    (t) =>
      t.taken > (paymentAmounts.get(t.order_id)?.amount ?? 0) || t.captures > (paymentAmounts.get(t.order_id)?.n ?? 0),
  ).length;

  const [stock] = await db.$queryRaw<Array<{ oversell: number; negative: number }>>`
    SELECT COUNT(*) FILTER (WHERE reserved + allocated > on_hand)::int AS oversell,
           COUNT(*) FILTER (WHERE on_hand < 0 OR reserved < 0 OR allocated < 0)::int AS negative
    FROM inventory`;

  const [ours] = await db.$queryRaw<
    Array<{ n: number }>
  >`SELECT COUNT(*)::int AS n FROM payments WHERE refunded_amount > captured_amount`;
  const [theirs] = await db.$queryRaw<Array<{ n: number }>>`
    SELECT COUNT(*)::int AS n FROM (
      SELECT t.order_id FROM (
        SELECT order_id,
          SUM(CASE WHEN kind = 'refund' AND status IN ('succeeded', 'processing') THEN amount ELSE 0 END) AS refunded,
          SUM(CASE WHEN (kind = 'charge' AND status IN ('captured', 'refunded')) OR (kind = 'payment_intent' AND status = 'paid') THEN amount
                   WHEN kind = 'authorization' AND status = 'captured' THEN (response->>'capturedAmount')::int ELSE 0 END) AS captured
        FROM simulator_records WHERE provider IN ('card', 'wechat_pay', 'alipay') GROUP BY order_id) t
      WHERE t.refunded > t.captured) x`;

  const byStatus = Object.fromEntries(
    (await db.order.groupBy({ by: ['status'], where: { id: { in: acceptedIds } }, _count: true })).map((g) => [
      g.status,
      g._count,
    ]),
  );
  return {
    lost,
    doubleCharges,
    oversell: stock.oversell,
    refundsAboveCapture: ours.n + theirs.n,
    negativeStock: stock.negative,
    byStatus,
  };
}
