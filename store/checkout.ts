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
import { runStatement, type PoolTx, type PrismaTx } from './db';
import { addPointsEntry, lockedBalance } from './points';

/** Another order took what this one was priced with; nothing of this one is recorded (409). */
export class CheckoutRefused extends Error {
  constructor(
    readonly type: 'promotion-exhausted' | 'coupon-unavailable' | 'points-insufficient',
    message: string,
  ) {
    super(message);
  }
}

/** What an order takes from one promotion: one use, the money it gave, flash-sale units. */
interface PromotionTake {
  promotionId: string;
  amount: number;
  units: number;
}

/** What an order took from each promotion, in one lock order for every transaction. */
function takenFrom(q: Quote & { ok: true }): PromotionTake[] {
  const by = new Map<string, { amount: number; units: number }>();
  for (const a of q.adjustments) {
    if (!a.promotionId) continue;
    const r = by.get(a.promotionId) ?? { amount: 0, units: 0 };
    r.amount += a.source === 'promotion' ? a.amount : 0;
    r.units += a.units ?? 0;
    by.set(a.promotionId, r);
  }
  // One lock order, so two orders never wait on each other in a circle.
  return [...by]
    .map(([promotionId, r]) => ({ promotionId, ...r }))
    .sort((a, b) => a.promotionId.localeCompare(b.promotionId));
}

const RECORD_REDEMPTIONS = {
  name: 'checkout-record-redemptions',
  text: `INSERT INTO promotion_redemptions (promotion_id, order_id, customer_id, units, amount)
    SELECT t."promotionId", $2, $3, t.units, t.amount
    FROM jsonb_to_recordset($1::jsonb) AS t("promotionId" text, units int, amount int)
    ON CONFLICT DO NOTHING`,
};

/** Records what an accepted submission took from each promotion (the counts the next quotes read). */
async function recordRedemptions(tx: PoolTx, orderId: string, customerId: string, taken: PromotionTake[]) {
  if (taken.length > 0) await runStatement(tx, RECORD_REDEMPTIONS, [JSON.stringify(taken), orderId, customerId]);
}

const COUNTER_ROW = {
  name: 'checkout-counter-row',
  text: `INSERT INTO promotion_counters (promotion_id) VALUES ($1) ON CONFLICT DO NOTHING`,
};
const TAKE_FROM_COUNTER = {
  name: 'checkout-take-from-counter',
  text: `UPDATE promotion_counters c SET uses = c.uses + 1, amount = c.amount + $2, units = c.units + $3
    FROM promotions p
    WHERE c.promotion_id = $1 AND p.id = c.promotion_id AND p.active
      AND (p.budget_uses IS NULL OR c.uses + 1 <= p.budget_uses)
      AND (p.budget_amount IS NULL OR c.amount + $2 <= p.budget_amount)
      AND ($3::int = 0 OR p.rule->>'kind' <> 'flash_sale' OR c.units + $3 <= (p.rule->>'stockCap')::int)
    RETURNING 1`,
};
const CUSTOMER_UNITS_ROW = {
  name: 'checkout-customer-units-row',
  text: `INSERT INTO promotion_customer_units (promotion_id, customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
};
const TAKE_CUSTOMER_UNITS = {
  name: 'checkout-take-customer-units',
  text: `UPDATE promotion_customer_units u SET units = u.units + $3
    FROM promotions p
    WHERE u.promotion_id = $1 AND u.customer_id = $2 AND p.id = u.promotion_id
      AND (p.rule->>'kind' <> 'flash_sale' OR u.units + $3 <= (p.rule->>'perCustomerLimit')::int)
    RETURNING 1`,
};

/**
 * Takes one use, the money and the units from the promotion's counter only if its budgets and cap
 * still allow it, read from the promotion row itself. A concurrent order waits on the counter's row
 * lock and re-checks the condition against the committed counts (PostgreSQL re-evaluates the WHERE).
 */
async function takeFromPromotion(tx: PoolTx, customerId: string, t: PromotionTake) {
  await runStatement(tx, COUNTER_ROW, [t.promotionId]);
  const taken = await runStatement(tx, TAKE_FROM_COUNTER, [t.promotionId, t.amount, t.units]);
  if (taken.length !== 1)
    throw new CheckoutRefused('promotion-exhausted', 'a promotion this order was priced with has run out; quote again');
  if (t.units === 0) return;
  await runStatement(tx, CUSTOMER_UNITS_ROW, [t.promotionId, customerId]);
  const mine = await runStatement(tx, TAKE_CUSTOMER_UNITS, [t.promotionId, customerId, t.units]);
  if (mine.length !== 1)
    throw new CheckoutRefused('promotion-exhausted', 'this customer has reached the flash sale’s limit; quote again');
}

const REDEEM_COUPON = {
  name: 'checkout-redeem-coupon',
  text: `UPDATE coupons SET status = 'redeemed', redeemed_order_id = $2, redeemed_at = now()
    WHERE code = $1 AND status = 'issued' AND customer_id = $3 RETURNING 1`,
};

/** Single use: only an issued coupon of this customer becomes this order's. */
async function redeemCoupon(tx: PoolTx, code: string, customerId: string, orderId: string) {
  const redeemed = await runStatement(tx, REDEEM_COUPON, [code, orderId, customerId]);
  if (redeemed.length !== 1)
    throw new CheckoutRefused('coupon-unavailable', `coupon ${code} has just been used by another order`);
}

/**
 * Spends points only from the balance computed under the customer's row lock: a concurrent spender
 * waits for this transaction and then sees its entry, so the balance never goes below zero.
 */
async function spendPoints(tx: PoolTx, customerId: string, orderId: string, points: number, at: Date) {
  const balance = await lockedBalance(tx, customerId, at);
  if (balance < points)
    throw new CheckoutRefused(
      'points-insufficient',
      `the points balance is now ${balance}, not ${points}; quote again`,
    );
  await addPointsEntry(tx, {
    id: `${orderId}:points-redeemed`,
    customerId,
    orderId,
    delta: -points,
    reason: REDEEMED,
    at,
  });
}

/**
 * Part of the acceptance transaction (api/routes/orders.ts): what the order was priced with is taken
 * atomically — promotion counters, the coupon, the points — or the whole acceptance rolls back.
 */
export async function claimCheckout(
  tx: PoolTx,
  orderId: string,
  customerId: string,
  q: Quote & { ok: true },
  at: Date,
): Promise<void> {
  const taken = takenFrom(q);
  await recordRedemptions(tx, orderId, customerId, taken);
  for (const t of taken) await takeFromPromotion(tx, customerId, t);
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
export async function giveBackCheckout(tx: PrismaTx, state: OrderState): Promise<void> {
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
export async function giveBackOnReturns(tx: PrismaTx, state: OrderState): Promise<void> {
  const forUnits = refundedForReturns(state);
  if (forUnits <= 0) return;
  await returnRedeemedPoints(tx, state, forUnits);
  if (everyUnitGivenBack(state.lines))
    await tx.$executeRaw`UPDATE coupons c SET status = 'issued', redeemed_order_id = NULL, redeemed_at = NULL
      WHERE c.redeemed_order_id = ${state.orderId} AND c.status = 'redeemed'
        AND NOT EXISTS (SELECT 1 FROM coupon_templates t WHERE t.id = c.template_id AND t.ends_at <= now())`;
}

/** Tops the order's returned points up to what its refunds earn back, under the customer's lock. */
async function returnRedeemedPoints(tx: PrismaTx, state: OrderState, forUnits: number): Promise<void> {
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
