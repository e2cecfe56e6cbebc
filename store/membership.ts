import {
  bonusKept,
  growthWindowStart,
  membershipStanding,
  pointsEarned,
  tierFor,
  type MembershipStanding,
  type MembershipTerms,
  type OrderState,
} from '../domain';
import type { Prisma } from '../prisma/generated/client';
import { takeBackPoints } from './points';
import type { Db } from './db';

type Reader = Db | Prisma.TransactionClient;
type Tx = Prisma.TransactionClient;

/**
 * Growth value (docs/pricing.md "Membership", decision 072) as one scalar SQL expression over four
 * parameters — the customer, the window's start, `at`, an order to leave out (or null) — so growthOf
 * and a quote's one statement (store/pricing.ts) sum the same rows: an indexed sum over the
 * customer's orders completed in the 12 months before `at`, each at what was paid less refunds.
 */
export const growthSql = (customer: string, from: string, at: string, except: string) =>
  `(SELECT coalesce(sum(paid), 0)::float8 FROM membership_orders
    WHERE customer_id = ${customer} AND completed_at > ${from} AND completed_at <= ${at}
      AND order_id IS DISTINCT FROM ${except})`;

export async function growthOf(db: Reader, customerId: string, at: Date, exceptOrderId?: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<[{ growth: number }]>(
    `SELECT ${growthSql('$1::text', '$2::timestamptz', '$3::timestamptz', '$4::text')} AS growth`,
    customerId,
    new Date(growthWindowStart(at.toISOString())),
    at,
    exceptOrderId ?? null,
  );
  return row.growth;
}

/** The customer's tier at `at`, computed from the data every time (never stored, so never stale). */
export async function standingOf(
  db: Reader,
  customerId: string,
  at: Date,
  terms: MembershipTerms,
): Promise<MembershipStanding> {
  return membershipStanding(terms.tiers, await growthOf(db, customerId, at));
}

const paidNet = (state: OrderState) =>
  Math.max(
    0,
    state.payments.reduce((t, p) => t + p.captured - p.refunded, 0),
  );

/**
 * Part of every projection transaction of a completed order (activities/projection.ts): its growth row,
 * kept at what was paid less refunds by the newest version projected; at the first projection, the
 * tier bonus on the points its completion credited (once: the row and the entry's id); after a
 * refund, the bonus taken back in the same proportion as the base points.
 */
export async function recordMembership(tx: Tx, state: OrderState, terms: MembershipTerms): Promise<void> {
  if (!state.completedAt) return;
  const { orderId, customerId, version } = state;
  const paid = paidNet(state);
  const known = await tx.membershipOrder.findUnique({ where: { orderId }, select: { orderId: true } });
  const created = !known && (await createGrowthRow(tx, state, paid, terms));
  if (!created)
    await tx.$executeRaw`UPDATE membership_orders SET paid = ${paid}, version = ${version}
      WHERE order_id = ${orderId} AND version < ${version}`;
  await takeBackBonus(tx, orderId, customerId, state.points?.reversed ?? 0);
}

/** The row and the bonus credit, or false when a concurrent projection of the same order made them first. */
async function createGrowthRow(tx: Tx, state: OrderState, paid: number, terms: MembershipTerms): Promise<boolean> {
  const { orderId, customerId, version } = state;
  const completedAt = new Date(state.completedAt!);
  // The tier the customer had when the order completed: the order itself does not raise its own bonus.
  const tier = tierFor(terms.tiers, await growthOf(tx, customerId, completedAt, orderId));
  const base = state.points?.credited ?? 0;
  const bonus = pointsEarned(base, terms.earnRate, tier.pointsMultiplier) - base;
  const inserted = await tx.$executeRaw`INSERT INTO membership_orders
      (order_id, customer_id, completed_at, paid, version, tier, points_multiplier, base_points, bonus_points)
    VALUES (${orderId}, ${customerId}, ${completedAt}, ${paid}, ${version}, ${tier.name}, ${tier.pointsMultiplier}, ${base}, ${bonus})
    ON CONFLICT (order_id) DO NOTHING`;
  if (inserted !== 1) return false;
  if (bonus > 0)
    await tx.pointsEntry.createMany({
      data: [
        {
          id: `${orderId}:points-tier-bonus`,
          customerId,
          orderId,
          delta: bonus,
          reason: `tier bonus: ${tier.name} ×${tier.pointsMultiplier}`,
        },
      ],
      skipDuplicates: true,
    });
  return true;
}

/**
 * The workflow takes back base points when money is refunded after completion (`state.points.reversed`);
 * the bonus follows in proportion. The row's lock makes two projections of one refund take it once.
 */
async function takeBackBonus(tx: Tx, orderId: string, customerId: string, reversedBase: number) {
  if (reversedBase <= 0) return;
  const [row] = await tx.$queryRaw<Array<{ base_points: number; bonus_points: number; bonus_reversed: number }>>`
    SELECT base_points, bonus_points, bonus_reversed FROM membership_orders WHERE order_id = ${orderId} FOR UPDATE`;
  if (!row) return;
  const due = row.bonus_points - bonusKept(row.bonus_points, row.base_points, reversedBase);
  if (due <= row.bonus_reversed) return;
  await tx.$executeRaw`UPDATE membership_orders SET bonus_reversed = ${due} WHERE order_id = ${orderId}`;
  await takeBackPoints(tx, {
    id: `${orderId}:points-tier-bonus-reversal:${reversedBase}`,
    customerId,
    orderId,
    points: due - row.bonus_reversed,
    reason: 'tier bonus on refunded money',
  });
}
