import { z } from 'zod';

/**
 * Promotion rules (docs/pricing.md). A promotion is who runs it (a merchant, or the platform when
 * `merchantId` is null), when and for whom it applies, how it combines (exclusive or stackable,
 * priority), and one reward rule. Amounts are integer minor units; percentages are 0 < p ≤ 100 with
 * at most two decimals.
 */
const sku = z.string().trim().min(1).max(64);
const amount = z.number().int().min(1);
/** Shape only; whether the value makes sense (≤ 100, two decimals) is promotionProblems' business (422). */
const percent = z.number().gt(0);

/** Which lines a rule looks at: chosen SKUs, or (absent) every line of the order. */
export const scopeSchema = z.object({ skus: z.array(sku).min(1).max(500).optional() }).default({});

const tier = z.object({ threshold: amount, off: amount });

export const ruleSchema = z.discriminatedUnion('kind', [
  /** 满减: spend ≥ threshold, save off; the highest tier reached wins; perEvery: off × ⌊base / threshold⌋. */
  z.object({
    kind: z.literal('spend_save'),
    scope: scopeSchema,
    tiers: z.array(tier).min(1).max(10),
    perEvery: z.boolean().default(false),
    maxOff: amount.optional(),
  }),
  /** A percentage off the lines in scope. */
  z.object({ kind: z.literal('percent_off'), scope: scopeSchema, percent, maxOff: amount.optional() }),
  /** A fixed amount off: once across the lines in scope (`order`) or off each unit in scope (`unit`). */
  z.object({
    kind: z.literal('amount_off'),
    scope: scopeSchema,
    amount,
    per: z.enum(['order', 'unit']).default('order'),
  }),
  /** Buy `buyQuantity` units in scope, get `getQuantity` units of `getSku` free (in the cart, or added as a gift line). */
  z.object({
    kind: z.literal('buy_get'),
    scope: scopeSchema,
    buyQuantity: z.number().int().min(1).max(99),
    getSku: sku,
    getQuantity: z.number().int().min(1).max(99),
  }),
  /** 满赠: spend ≥ threshold in scope, a gift line of `quantity` × `giftSku` at 0. */
  z.object({
    kind: z.literal('gift'),
    scope: scopeSchema,
    threshold: z.number().int().min(0),
    giftSku: sku,
    quantity: z.number().int().min(1).max(99),
  }),
  /** 秒杀: `sku` at `price` while the promotion runs, for at most `stockCap` units overall and `perCustomerLimit` per customer. */
  z.object({
    kind: z.literal('flash_sale'),
    sku,
    price: z.number().int().min(0),
    stockCap: z.number().int().min(1),
    perCustomerLimit: z.number().int().min(1).max(99),
    /** Tiers for which it opens earlier, by their `flashSaleEarlyMinutes` (docs/pricing.md "Membership"). */
    earlyAccessTiers: z.array(z.string().min(1).max(40)).max(20).optional(),
  }),
  /** A member discount: a percentage by membership tier; a tier it does not name gets its configured one. */
  z.object({
    kind: z.literal('member_discount'),
    scope: scopeSchema,
    percentByTier: z.record(z.string().min(1).max(40), percent).default({}),
  }),
  /** 满X包邮: goods (after discounts) ≥ threshold, no shipping fee. */
  z.object({ kind: z.literal('free_shipping'), threshold: z.number().int().min(0) }),
]);
export type PromotionRule = z.infer<typeof ruleSchema>;
export type RuleKind = PromotionRule['kind'];

export const promotionBodySchema = z.object({
  code: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _'),
  name: z.string().trim().min(1).max(200),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  priority: z.number().int().min(0).max(1000).default(0),
  exclusive: z.boolean().default(false),
  channels: z.array(z.string().min(1).max(40)).max(20).optional(),
  customerTiers: z.array(z.string().min(1).max(40)).max(20).optional(),
  budgetUses: z.number().int().min(1).optional(),
  budgetAmount: z.number().int().min(1).optional(),
  active: z.boolean().default(true),
  rule: ruleSchema,
});
export type PromotionBody = z.infer<typeof promotionBodySchema>;

export interface RuleProblem {
  path: Array<string | number>;
  message: string;
}

const twoDecimals = (p: number) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9;
function percentProblems(p: number, path: Array<string | number>): RuleProblem[] {
  if (p > 100) return [{ path, message: 'a percentage is at most 100' }];
  if (!twoDecimals(p)) return [{ path, message: 'a percentage has at most two decimals' }];
  return [];
}

/**
 * What is wrong with a well-formed promotion (422, naming the field): a percentage over 100, an end
 * not after its start, a 满减 tier that saves more than it asks. Whose SKUs it names is the API's check.
 */
export function promotionProblems(p: PromotionBody, tierNames?: readonly string[]): RuleProblem[] {
  const problems: RuleProblem[] = tierNames ? unknownTiers(p, tierNames) : [];
  if (Date.parse(p.endsAt) <= Date.parse(p.startsAt))
    problems.push({ path: ['endsAt'], message: 'must be after startsAt' });
  const rule = p.rule;
  if (rule.kind === 'percent_off') problems.push(...percentProblems(rule.percent, ['rule', 'percent']));
  if (rule.kind === 'member_discount')
    for (const [tier, pct] of Object.entries(rule.percentByTier))
      problems.push(...percentProblems(pct, ['rule', 'percentByTier', tier]));
  if (rule.kind === 'spend_save') {
    rule.tiers.forEach((t, i) => {
      if (t.off > t.threshold)
        problems.push({ path: ['rule', 'tiers', i, 'off'], message: 'cannot save more than the threshold' });
    });
    const thresholds = rule.tiers.map((t) => t.threshold);
    if (new Set(thresholds).size !== thresholds.length)
      problems.push({ path: ['rule', 'tiers'], message: 'two tiers share a threshold' });
  }
  return problems;
}

/** Tier names a promotion uses that the configured ladder does not have: it could never apply to them. */
function unknownTiers(p: PromotionBody, tierNames: readonly string[]): RuleProblem[] {
  const rule = p.rule;
  const named: Array<{ path: Array<string | number>; tier: string }> = [
    ...(p.customerTiers ?? []).map((tier, i) => ({ path: ['customerTiers', i], tier })),
    ...(rule.kind === 'member_discount'
      ? Object.keys(rule.percentByTier).map((tier) => ({ path: ['rule', 'percentByTier', tier], tier }))
      : []),
    ...(rule.kind === 'flash_sale'
      ? (rule.earlyAccessTiers ?? []).map((tier, i) => ({ path: ['rule', 'earlyAccessTiers', i], tier }))
      : []),
  ];
  return named
    .filter((n) => !tierNames.includes(n.tier))
    .map((n) => ({ path: n.path, message: `unknown membership tier ${n.tier} (tiers: ${tierNames.join(', ')})` }));
}

/** A promotion as the engine sees it. */
export interface Promotion {
  id: string;
  code: string;
  name: string;
  /** null: platform-wide (support); else the merchant whose SKUs it covers. */
  merchantId: string | null;
  startsAt: string;
  endsAt: string;
  priority: number;
  exclusive: boolean;
  channels?: string[] | null;
  customerTiers?: string[] | null;
  budgetUses?: number | null;
  budgetAmount?: number | null;
  active: boolean;
  rule: PromotionRule;
}

/** SKUs a rule names (scope, gifts, flash sale): a merchant's promotion may name only its own. */
export function skusNamed(rule: PromotionRule): Array<{ path: Array<string | number>; sku: string }> {
  const named: Array<{ path: Array<string | number>; sku: string }> = [];
  if ('scope' in rule)
    (rule.scope.skus ?? []).forEach((s, i) => named.push({ path: ['rule', 'scope', 'skus', i], sku: s }));
  if (rule.kind === 'buy_get') named.push({ path: ['rule', 'getSku'], sku: rule.getSku });
  if (rule.kind === 'gift') named.push({ path: ['rule', 'giftSku'], sku: rule.giftSku });
  if (rule.kind === 'flash_sale') named.push({ path: ['rule', 'sku'], sku: rule.sku });
  return named;
}

/** Stage in which a rule applies: prices of units first, then the order's value, then shipping. */
export function stageOf(kind: RuleKind): number {
  if (
    kind === 'flash_sale' ||
    kind === 'percent_off' ||
    kind === 'amount_off' ||
    kind === 'member_discount' ||
    kind === 'buy_get'
  )
    return 1;
  if (kind === 'spend_save' || kind === 'gift') return 2;
  return 3;
}
