/**
 * Membership points (docs/pricing.md, decision 070): an append-only ledger; the balance is computed
 * from it. Credits are lots that expire 12 months after they were earned; debits (a redemption at
 * checkout, a reversal after a refund) take from the oldest lot still valid at their instant. A
 * redemption restored on cancellation is as if it never happened: its lots come back with their own
 * expiry (a lot that expired meanwhile stays expired).
 */
export interface PointsLedgerEntry {
  id: string;
  orderId?: string | null;
  delta: number;
  reason: string;
  createdAt: string;
}

export const POINTS_LIFETIME_MONTHS = 12;
export const REDEEMED = 'redeemed';
export const RESTORED = 'restored';
/** Redeemed points given back in proportion when units are returned after delivery (decision 078). */
export const RETURNED = 'returned';

export function pointsExpiry(earnedAt: string): string {
  const d = new Date(earnedAt);
  d.setUTCMonth(d.getUTCMonth() + POINTS_LIFETIME_MONTHS);
  return d.toISOString();
}

export interface PointsBalance {
  balance: number;
  expired: number;
  /** Lots still valid at `at`, oldest first, with what is left of each. */
  lots: Array<{ points: number; expiresAt: string }>;
}

/** The balance at `at`: lots in order, each debit from the oldest lot valid at its instant. */
export function pointsBalance(entries: readonly PointsLedgerEntry[], at: string): PointsBalance {
  const restored = new Set(entries.filter((e) => e.reason === RESTORED && e.orderId).map((e) => e.orderId));
  const live = entries
    .filter((e) => e.reason !== RESTORED && !(e.reason === REDEEMED && restored.has(e.orderId)))
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id.localeCompare(b.id));
  const lots: Array<{ points: number; expiresAt: string }> = [];
  let expired = 0;
  const dropExpired = (t: number) => {
    while (lots.length && Date.parse(lots[0].expiresAt) <= t) expired += lots.shift()!.points;
  };
  for (const e of live) {
    const t = Date.parse(e.createdAt);
    // Lots are earned in time order, so the oldest lot expires first.
    dropExpired(t);
    if (e.delta > 0) lots.push({ points: e.delta, expiresAt: pointsExpiry(e.createdAt) });
    let owed = -Math.min(0, e.delta);
    while (owed > 0 && lots.length) {
      const take = Math.min(owed, lots[0].points);
      lots[0].points -= take;
      owed -= take;
      if (lots[0].points === 0) lots.shift();
    }
  }
  dropExpired(Date.parse(at));
  return { balance: lots.reduce((s, l) => s + l.points, 0), expired, lots };
}

/** Checkout's rate and cap: `rate` points per whole currency unit (100 minor units), at most `maxPercent` of the goods. */
export interface PointsTerms {
  rate: number;
  maxPercent: number;
}

/** Minor units `points` are worth, or null when they do not make whole minor units at this rate. */
export function pointsValue(points: number, rate: number): number | null {
  return (points * 100) % rate === 0 ? (points * 100) / rate : null;
}

/** The most points one order may spend: `maxPercent` of the goods still payable, in whole minor units. */
export function maxRedeemablePoints(goods: number, terms: PointsTerms): number {
  const value = Math.floor((goods * terms.maxPercent) / 100);
  return Math.floor((value * terms.rate) / 100);
}

/**
 * Redeemed points due back after returns (decision 078, as JD gives back 京豆): the share of `redeemed`
 * that the money refunded for returned units is of the goods paid, rounded down, so returning every
 * unit at its paid price gives back exactly what was redeemed and partial returns never more.
 */
export function redeemedPointsDue(redeemed: number, refundedForUnits: number, goodsPaid: number): number {
  if (redeemed <= 0 || goodsPaid <= 0 || refundedForUnits <= 0) return 0;
  if (refundedForUnits >= goodsPaid) return redeemed;
  return Math.floor((redeemed * refundedForUnits) / goodsPaid);
}
