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
import { takeBackPoints } from './points';
import { runStatement, type Client, type PrismaTx } from './db';

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

const GROWTH = {
  name: 'membership-growth',
  text: `SELECT ${growthSql('$1::text', '$2::timestamptz', '$3::timestamptz', '$4::text')} AS growth`,
};

export async function growthOf(db: Client, customerId: string, at: Date, exceptOrderId?: string): Promise<number> {
  const from = new Date(growthWindowStart(at.toISOString()));
  const [row] = await runStatement<{ growth: number }>(db, GROWTH, [customerId, from, at, exceptOrderId ?? null]);
  return row.growth;
}

/** The customer's tier at `at`, computed from the data every time (never stored, so never stale). */
export async function standingOf(
  db: Client,
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

/** What a completed order's projection writes to its growth row, and, the first time, its tier bonus entry. */
export interface MembershipRow {
  orderId: string;
  customerId: string;
  completedAt: string;
  /** What was paid less refunds, by the state's version. */
  paid: number;
  version: number;
  tier: string;
  multiplier: number;
  basePoints: number;
  bonusPoints: number;
  bonusReason: string;
}

/**
 * The membership row a projection of `state` writes (docs/pricing.md "Membership"), or none before
 * completion. The tier is the one the customer had when the order completed: the order itself does
 * not raise its own bonus.
 */
export async function membershipRowOf(
  db: Client,
  state: OrderState,
  terms: MembershipTerms,
): Promise<MembershipRow | undefined> {
  if (!state.completedAt) return undefined;
  const { orderId, customerId, completedAt, version } = state;
  const growth = await growthOf(db, customerId, new Date(completedAt), orderId);
  const { name, pointsMultiplier: multiplier } = tierFor(terms.tiers, growth);
  const basePoints = state.points?.credited ?? 0;
  return {
    orderId,
    customerId,
    completedAt,
    version,
    paid: paidNet(state),
    tier: name,
    multiplier,
    basePoints,
    bonusPoints: pointsEarned(basePoints, terms.earnRate, multiplier) - basePoints,
    bonusReason: `tier bonus: ${name} ×${multiplier}`,
  };
}

/**
 * SQL, common table expressions of the projection's one statement (store/projection.ts): the growth
 * row of the MembershipRow in JSON parameter `param` (none when it is null), created once, then kept
 * at what was paid less refunds by the newest version; the tier bonus entry only with the row's
 * creation (its id makes it once too). ON CONFLICT … DO UPDATE sees a row a concurrent projection committed meanwhile.
 */
export const upsertMembershipSql = (param: string) => `
  membership_row AS (
    SELECT * FROM jsonb_to_record(${param}::jsonb) AS m("orderId" text, "customerId" text, "completedAt" timestamptz,
      paid int, version int, tier text, multiplier float8, "basePoints" int, "bonusPoints" int, "bonusReason" text)
    WHERE ${param}::jsonb IS NOT NULL),
  membership AS (
    INSERT INTO membership_orders
      (order_id, customer_id, completed_at, paid, version, tier, points_multiplier, base_points, bonus_points)
    SELECT "orderId", "customerId", "completedAt", paid, version, tier, multiplier, "basePoints", "bonusPoints"
    FROM membership_row
    ON CONFLICT (order_id) DO UPDATE SET paid = excluded.paid, version = excluded.version
      WHERE membership_orders.version < excluded.version
    RETURNING xmax = 0 AS created),
  tier_bonus AS (
    INSERT INTO points_entries (id, customer_id, order_id, delta, reason)
    SELECT "orderId" || ':points-tier-bonus', "customerId", "orderId", "bonusPoints", "bonusReason"
    FROM membership_row WHERE "bonusPoints" > 0 AND EXISTS (SELECT 1 FROM membership WHERE created)
    ON CONFLICT DO NOTHING)`;

/** Money refunded after completion took base points back: the tier bonus follows (takeBackBonus). */
export const takesBackBonus = (state: OrderState) => !!state.completedAt && (state.points?.reversed ?? 0) > 0;

/**
 * The workflow takes back base points when money is refunded after completion (`state.points.reversed`);
 * the bonus follows in proportion. Part of the projection's transaction, after its statement wrote the
 * growth row; the row's lock makes two projections of one refund take it once.
 */
export async function takeBackBonus(tx: PrismaTx, state: OrderState): Promise<void> {
  if (!takesBackBonus(state)) return;
  const { orderId, customerId } = state;
  const reversedBase = state.points!.reversed;
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
