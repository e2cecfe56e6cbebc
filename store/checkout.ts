import {
  everyUnitGivenBack,
  linePaid,
  redeemedPointsDue,
  REDEEMED,
  RESTORED,
  RETURNED,
  type OrderState,
  type Quote,
} from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { lockedBalance } from './points';
import { recordRedemptions } from './pricing';

type Tx = Prisma.TransactionClient;

/** Another order took what this one was priced with; nothing of this one is recorded (409). */
export class CheckoutRefused extends Error {
  constructor(
    readonly type: 'promotion-exhausted' | 'coupon-unavailable' | 'points-insufficient',
    message: string,
  ) {
    super(message);
  }
}

/** What an order took from each promotion: one use, the money it gave, flash-sale units. */
function takenFrom(q: Quote & { ok: true }): Array<{ promotionId: string; amount: number; units: number }> {
  const by = new Map<string, { amount: number; units: number }>();
  for (const a of q.adjustments) {
    if (!a.promotionId) continue;
    const r = by.get(a.promotionId) ?? { amount: 0, units: 0 };
    r.amount += a.source === 'promotion' ? a.amount : 0;
    r.units += a.units ?? 0;
    by.set(a.promotionId, r);
  }
  // One lock order for every transaction, so two orders never wait on each other in a circle.
  return [...by]
    .map(([promotionId, r]) => ({ promotionId, ...r }))
    .sort((a, b) => a.promotionId.localeCompare(b.promotionId));
}

/**
 * Takes one use, the money and the units from the promotion's counter only if its budgets and cap
 * still allow it, read from the promotion row itself. A concurrent order waits on the counter's row
 * lock and re-checks the condition against the committed counts (PostgreSQL re-evaluates the WHERE).
 */
async function takeFromPromotion(
  tx: Tx,
  customerId: string,
  t: { promotionId: string; amount: number; units: number },
) {
  await tx.$executeRaw`INSERT INTO promotion_counters (promotion_id) VALUES (${t.promotionId}) ON CONFLICT DO NOTHING`;
  const taken = await tx.$executeRaw`UPDATE promotion_counters c
    SET uses = c.uses + 1, amount = c.amount + ${t.amount}, units = c.units + ${t.units}
    FROM promotions p
    WHERE c.promotion_id = ${t.promotionId} AND p.id = c.promotion_id AND p.active
      AND (p.budget_uses IS NULL OR c.uses + 1 <= p.budget_uses)
      AND (p.budget_amount IS NULL OR c.amount + ${t.amount} <= p.budget_amount)
      AND (${t.units}::int = 0 OR p.rule->>'kind' <> 'flash_sale' OR c.units + ${t.units} <= (p.rule->>'stockCap')::int)`;
  if (taken !== 1)
    throw new CheckoutRefused('promotion-exhausted', 'a promotion this order was priced with has run out; quote again');
  if (t.units === 0) return;
  await tx.$executeRaw`INSERT INTO promotion_customer_units (promotion_id, customer_id)
    VALUES (${t.promotionId}, ${customerId}) ON CONFLICT DO NOTHING`;
  const mine = await tx.$executeRaw`UPDATE promotion_customer_units u SET units = u.units + ${t.units}
    FROM promotions p
    WHERE u.promotion_id = ${t.promotionId} AND u.customer_id = ${customerId} AND p.id = u.promotion_id
      AND (p.rule->>'kind' <> 'flash_sale' OR u.units + ${t.units} <= (p.rule->>'perCustomerLimit')::int)`;
  if (mine !== 1)
    throw new CheckoutRefused('promotion-exhausted', 'this customer has reached the flash sale’s limit; quote again');
}

/** Single use: only an issued coupon of this customer becomes this order's. */
async function redeemCoupon(tx: Tx, code: string, customerId: string, orderId: string) {
  const redeemed =
    await tx.$executeRaw`UPDATE coupons SET status = 'redeemed', redeemed_order_id = ${orderId}, redeemed_at = now()
    WHERE code = ${code} AND status = 'issued' AND customer_id = ${customerId}`;
  if (redeemed !== 1)
    throw new CheckoutRefused('coupon-unavailable', `coupon ${code} has just been used by another order`);
}

/**
 * Spends points only from the balance computed under the customer's row lock: a concurrent spender
 * waits for this transaction and then sees its entry, so the balance never goes below zero.
 */
async function spendPoints(tx: Tx, customerId: string, orderId: string, points: number, at: Date) {
  const balance = await lockedBalance(tx, customerId, at);
  if (balance < points)
    throw new CheckoutRefused(
      'points-insufficient',
      `the points balance is now ${balance}, not ${points}; quote again`,
    );
  await tx.pointsEntry.create({
    data: { id: `${orderId}:points-redeemed`, customerId, orderId, delta: -points, reason: REDEEMED, createdAt: at },
  });
}

/**
 * Part of the acceptance transaction (api/routes/orders.ts): what the order was priced with is taken
 * atomically — promotion counters, the coupon, the points — or the whole acceptance rolls back.
 */
export async function claimCheckout(
  tx: Tx,
  orderId: string,
  customerId: string,
  q: Quote & { ok: true },
  at: Date,
): Promise<void> {
  await recordRedemptions(tx, orderId, customerId, q);
  for (const t of takenFrom(q)) await takeFromPromotion(tx, customerId, t);
  if (q.couponCode) await redeemCoupon(tx, q.couponCode, customerId, orderId);
  if (q.pointsSpent > 0) await spendPoints(tx, customerId, orderId, q.pointsSpent, at);
}

/** Cancelled or rejected before anything shipped: checkout's give-back is due (giveBackCheckout). */
export const givesBackCheckout = (state: OrderState) =>
  (state.status === 'cancelled' || state.status === 'rejected') && state.lines.every((l) => l.shipped === 0);

/** Money refunded for returned or exchanged units of a delivered order: what giveBackOnReturns gives points back for. */
export const refundedForReturns = (state: OrderState) =>
  state.deliveredAt
    ? state.afterSales.filter((r) => r.type === 'return' || r.type === 'exchange').reduce((t, r) => t + r.refunded, 0)
    : 0;

/**
 * An order cancelled or rejected before anything shipped gives back what it took: its promotion
 * counts, its coupon, its points. Called in the projections where it is due; each give-back is keyed to
 * happen once (the redemption's released_at, the coupon still naming this order, the entry's id).
 */
export async function giveBackCheckout(tx: Tx, state: OrderState): Promise<void> {
  if (!givesBackCheckout(state)) return;
  const released = await tx.$queryRaw<
    Array<{ promotion_id: string; customer_id: string; units: number; amount: number }>
  >`
    UPDATE promotion_redemptions SET released_at = now()
    WHERE order_id = ${state.orderId} AND released_at IS NULL
    RETURNING promotion_id, customer_id, units, amount`;
  for (const r of released.sort((a, b) => a.promotion_id.localeCompare(b.promotion_id))) {
    await tx.$executeRaw`UPDATE promotion_counters SET uses = uses - 1, amount = amount - ${r.amount}, units = units - ${r.units}
      WHERE promotion_id = ${r.promotion_id}`;
    if (r.units > 0)
      await tx.$executeRaw`UPDATE promotion_customer_units SET units = units - ${r.units}
        WHERE promotion_id = ${r.promotion_id} AND customer_id = ${r.customer_id}`;
  }
  await tx.$executeRaw`UPDATE coupons SET status = 'issued', redeemed_order_id = NULL, redeemed_at = NULL
    WHERE redeemed_order_id = ${state.orderId} AND status = 'redeemed'`;
  await tx.$executeRaw`INSERT INTO points_entries (id, customer_id, order_id, delta, reason)
    SELECT ${`${state.orderId}:points-restored`}, customer_id, order_id, -delta, ${RESTORED}
    FROM points_entries WHERE id = ${`${state.orderId}:points-redeemed`}
    ON CONFLICT DO NOTHING`;
}

/**
 * After delivery, returns give back what checkout took, as JD does (decisions 078, 079): redeemed
 * points in proportion to the money refunded for returned or exchanged-and-refunded units, and the
 * coupon only when every unit came back and its template is still valid. Called in every projection
 * transaction of such an order; an older snapshot asks less, and each give-back happens once (the entry's id carries
 * the cumulative amount; the coupon must still name this order).
 */
export async function giveBackOnReturns(tx: Tx, state: OrderState): Promise<void> {
  const forUnits = refundedForReturns(state);
  if (forUnits <= 0) return;
  await returnRedeemedPoints(tx, state, forUnits);
  if (everyUnitGivenBack(state.lines))
    await tx.$executeRaw`UPDATE coupons c SET status = 'issued', redeemed_order_id = NULL, redeemed_at = NULL
      WHERE c.redeemed_order_id = ${state.orderId} AND c.status = 'redeemed'
        AND NOT EXISTS (SELECT 1 FROM coupon_templates t WHERE t.id = c.template_id AND t.ends_at <= now())`;
}

/** Tops the order's returned points up to what its refunds earn back, under the customer's lock. */
async function returnRedeemedPoints(tx: Tx, state: OrderState, forUnits: number): Promise<void> {
  const redeemed = await tx.pointsEntry.findUnique({ where: { id: `${state.orderId}:points-redeemed` } });
  if (!redeemed || redeemed.delta >= 0) return;
  const goodsPaid = state.lines.reduce((t, l) => t + linePaid(l), 0);
  const due = redeemedPointsDue(-redeemed.delta, forUnits, goodsPaid);
  if (due <= 0) return;
  await tx.$queryRaw`SELECT id FROM customers WHERE id = ${state.customerId} FOR UPDATE`;
  const given = await tx.pointsEntry.aggregate({
    _sum: { delta: true },
    where: { orderId: state.orderId, reason: RETURNED },
  });
  const more = due - (given._sum.delta ?? 0);
  if (more <= 0) return;
  await tx.pointsEntry.createMany({
    data: [
      {
        id: `${state.orderId}:points-returned:${due}`,
        customerId: state.customerId,
        orderId: state.orderId,
        delta: more,
        reason: RETURNED,
      },
    ],
    skipDuplicates: true,
  });
}
