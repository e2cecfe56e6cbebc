/**
 * Coupons (docs/pricing.md, decision 070). A template says what a coupon takes off (an amount, or a
 * percentage capped by `maxOff`), from which spend, on whose goods (a merchant's, optionally chosen
 * SKUs; or any merchant's when platform-wide) and when; each issued coupon is single use. This is a
 * template as POST /v1/coupon-templates accepts it (validated by coupons.schema.ts).
 */
export interface CouponTemplateBody {
  name: string;
  kind: 'amount' | 'percent';
  /** kind amount: minor units off. */
  amount?: number;
  /** kind percent: 0 < p ≤ 100, two decimals at most (422 otherwise). */
  percent?: number;
  maxOff?: number;
  minSpend: number;
  skus?: string[];
  currency: string;
  startsAt: string;
  endsAt: string;
}

/** What is wrong with a well-formed template (422 naming the field). */
export function couponTemplateProblems(t: CouponTemplateBody): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (Date.parse(t.endsAt) <= Date.parse(t.startsAt))
    problems.push({ path: 'endsAt', message: 'must be after startsAt' });
  if (t.kind === 'amount' && t.amount === undefined)
    problems.push({ path: 'amount', message: 'an amount coupon needs its amount' });
  if (t.kind === 'percent') {
    if (t.percent === undefined) problems.push({ path: 'percent', message: 'a percentage coupon needs its percent' });
    else if (t.percent > 100) problems.push({ path: 'percent', message: 'a percentage is at most 100' });
    else if (Math.abs(t.percent * 100 - Math.round(t.percent * 100)) > 1e-9)
      problems.push({ path: 'percent', message: 'a percentage has at most two decimals' });
  }
  if (t.kind === 'amount' && t.percent !== undefined)
    problems.push({ path: 'percent', message: 'only percentage coupons have a percent' });
  if (t.kind === 'percent' && t.amount !== undefined)
    problems.push({ path: 'amount', message: 'only amount coupons have an amount' });
  return problems;
}

/** An issued coupon as the engine sees it (the store has checked it is the customer's and unused). */
export interface CouponTerms {
  code: string;
  kind: 'amount' | 'percent';
  amount?: number | null;
  percent?: number | null;
  maxOff?: number | null;
  minSpend: number;
  /** null: any merchant's goods. */
  merchantId: string | null;
  /** Chosen SKUs, else every line of the order. */
  skus?: string[] | null;
  currency: string;
  /** [validFrom, validUntil); null: no bound. */
  validFrom?: string | null;
  validUntil?: string | null;
}

/** Why a coupon cannot apply to this cart (the message of a 422 naming couponCode), or null. */
export function couponProblem(
  c: CouponTerms,
  at: string,
  merchantId: string,
  currency: string,
  base: number,
): string | null {
  const t = Date.parse(at);
  if (c.validFrom && t < Date.parse(c.validFrom)) return `coupon ${c.code} is not valid before ${c.validFrom}`;
  if (c.validUntil && t >= Date.parse(c.validUntil)) return `coupon ${c.code} expired at ${c.validUntil}`;
  if (c.merchantId !== null && c.merchantId !== merchantId) return `coupon ${c.code} is for another merchant's goods`;
  if (c.currency !== currency) return `coupon ${c.code} is in ${c.currency}, the order in ${currency}`;
  if (base <= 0) return `coupon ${c.code} applies to none of these lines`;
  if (base < c.minSpend)
    return `coupon ${c.code} needs a spend of ${c.minSpend} on the goods it covers; these come to ${base}`;
  return null;
}

/** Money a coupon takes off `base` (the goods it covers, after promotions): never more than base. */
export function couponOff(c: CouponTerms, base: number): number {
  const off = c.kind === 'amount' ? (c.amount ?? 0) : Math.floor((base * Math.round((c.percent ?? 0) * 100)) / 10000);
  return Math.max(0, Math.min(off, c.maxOff ?? off, base));
}
