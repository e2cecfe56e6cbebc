/**
 * Membership tiers (docs/pricing.md "Membership", decision 072). Growth value is the money paid for
 * orders completed in the last 12 months, less what was refunded on them; the tier is the highest
 * whose threshold the growth reaches. Each tier carries its benefits (validated by membership.schema.ts).
 */
export interface Tier {
  name: string;
  /** Growth value (minor units) from which the tier applies. */
  minGrowth: number;
  /** What a `member_discount` promotion gives this tier when its `percentByTier` does not name it. */
  memberDiscountPercent: number;
  /** Points earned at completion are multiplied by this (never below 1: the base is already credited). */
  pointsMultiplier: number;
  freeShipping: boolean;
  /** A flash sale that lists the tier in `earlyAccessTiers` opens this many minutes earlier for it. */
  flashSaleEarlyMinutes: number;
}
export type TierBenefits = Omit<Tier, 'name' | 'minGrowth'>;

/** The ladder and the earning rate (config MEMBERSHIP_TIERS, POINTS_EARN_RATE). */
export interface MembershipTerms {
  tiers: Tier[];
  /** Points per base point (one per currency unit paid), before the tier's multiplier. */
  earnRate: number;
}

export const GROWTH_WINDOW_MONTHS = 12;

/** Growth counts orders completed after this instant and not after `at`. */
export function growthWindowStart(at: string): string {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() - GROWTH_WINDOW_MONTHS);
  return d.toISOString();
}

/** One completed order's part of its customer's growth: what was paid for it, less refunds. */
export interface GrowthFact {
  completedAt: string;
  paid: number;
}

export function growthValue(facts: readonly GrowthFact[], at: string): number {
  const from = Date.parse(growthWindowStart(at));
  const to = Date.parse(at);
  return facts
    .filter((f) => Date.parse(f.completedAt) > from && Date.parse(f.completedAt) <= to)
    .reduce((t, f) => t + Math.max(0, f.paid), 0);
}

export function tierFor(ladder: readonly Tier[], growth: number): Tier {
  return [...ladder].reverse().find((t) => growth >= t.minGrowth) ?? ladder[0];
}

export interface MembershipStanding {
  tier: Tier;
  growth: number;
  /** The tier above and the growth still missing to reach it; null at the top. */
  next: { name: string; minGrowth: number; missing: number } | null;
}

export function membershipStanding(ladder: readonly Tier[], growth: number): MembershipStanding {
  const tier = tierFor(ladder, growth);
  const above = ladder.find((t) => t.minGrowth > growth);
  return {
    tier,
    growth,
    next: above ? { name: above.name, minGrowth: above.minGrowth, missing: above.minGrowth - growth } : null,
  };
}

/**
 * Points an order earns: the base (one per whole currency unit paid, credited by the order's
 * completion, decision 030) × the earning rate × the tier's multiplier, in whole points. Factors are
 * taken in hundredths so that 1.15 × 100 is 115, not 114.99….
 */
export function pointsEarned(basePoints: number, rate: number, multiplier: number): number {
  return Math.floor((basePoints * Math.round(rate * multiplier * 100)) / 100);
}

/** What is left of an order's bonus once `reversed` of its `credited` base points were taken back. */
export function bonusKept(bonus: number, credited: number, reversed: number): number {
  if (credited <= 0) return 0;
  return Math.floor((bonus * Math.max(0, credited - reversed)) / credited);
}
