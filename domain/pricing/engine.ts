import { newLedgerLine } from '../ledger';
import type { OrderLine, Totals } from '../order';
import type { TierBenefits } from '../membership';
import { maxRedeemablePoints, pointsValue, type PointsTerms } from '../points';
import { allocateLargestRemainder } from './allocate';
import { couponOff, couponProblem, type CouponTerms } from './coupons';
import { stageOf, type Promotion, type PromotionRule } from './rules';

export interface CatalogEntry {
  sku: string;
  name: string;
  priceAmount: number;
  currency: string;
  active: boolean;
  merchantId: string;
}

/** How much of a promotion is already used (the store counts; the engine only reads). */
export interface PromotionUsage {
  /** Orders that used it. */
  uses?: number;
  /** Money it has given so far. */
  amount?: number;
  /** Flash sale: units sold at the promotional price so far, and by this customer. */
  units?: number;
  customerUnits?: number;
}

/** A merchant's shipping fee: by destination province, else the default; none at or above `freeAbove`. */
export interface ShippingRate {
  defaultFee: number;
  byProvince?: Record<string, number>;
  freeAbove?: number | null;
}

export interface Adjustment {
  /** coupon and points apply at checkout, after the promotions (docs/pricing.md). */
  source: 'promotion' | 'shipping' | 'coupon' | 'points';
  code: string;
  kind: PromotionRule['kind'] | 'shipping_threshold' | 'member_shipping' | 'coupon' | 'points';
  promotionId?: string;
  /** Absent for shipping adjustments: they lower the fee, not a line. */
  lineNo?: number;
  amount: number;
  /** Flash sale: units sold at the promotional price (the counts its cap and limit are kept by). */
  units?: number;
}

export interface QuoteInput {
  /** The instant the price is for (ISO): the window of every promotion is checked against it. */
  at: string;
  channel: string;
  /** The customer's membership tier and its benefits, as of `at` (docs/pricing.md "Membership"). */
  customer: { id: string; tier?: string | null; benefits?: TierBenefits | null };
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  /** Every requested SKU and every SKU a promotion may give away. */
  catalog: ReadonlyMap<string, CatalogEntry>;
  promotions: readonly Promotion[];
  usage?: ReadonlyMap<string, PromotionUsage>;
  shipping?: ShippingRate | null;
  province: string;
  /** The coupon the customer chose (the store checked it is theirs and unused). */
  coupon?: CouponTerms | null;
  /** Points the customer wants to spend, their balance now, and checkout's rate and cap. */
  points?: { requested: number; balance: number; terms: PointsTerms } | null;
}

export interface QuotedLine {
  lineNo: number;
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  /** The line's share of every discount. */
  discount: number;
  /** unitPrice × quantity − discount: what the customer pays for the line. */
  paid: number;
  gift?: boolean;
}

export type Quote =
  | {
      ok: true;
      merchantId: string;
      /** Ledger lines for the order: `discount` and `gift` only where they apply. */
      orderLines: OrderLine[];
      lines: QuotedLine[];
      adjustments: Adjustment[];
      /** Codes of the promotions in the chosen combination. */
      applied: string[];
      totals: Totals;
      /** The coupon redeemed and the points spent at acceptance. */
      couponCode?: string;
      pointsSpent: number;
    }
  | { ok: false; errors: Array<{ path: string; message: string }> };

interface WorkLine {
  lineNo: number;
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  /** What is still payable for the line after the rules applied so far. */
  amount: number;
  gift: boolean;
}

interface Work {
  lines: WorkLine[];
  adjustments: Adjustment[];
  freeShipping: Adjustment | null;
  giftValue: number;
}

interface Ctx {
  input: QuoteInput;
  merchantId: string;
  /** input.at in milliseconds, parsed once per quote. */
  at: number;
}

/**
 * Date.parse of the promotions' bounds, remembered: the same few thousand ISO strings come back in
 * every quote, and parsing them was a tenth of the engine's time. Bounded, not an LRU.
 */
const parsedTimes = new Map<string, number>();
function timeOf(iso: string): number {
  let t = parsedTimes.get(iso);
  if (t === undefined) {
    if (parsedTimes.size >= 50_000) parsedTimes.clear();
    parsedTimes.set(iso, (t = Date.parse(iso)));
  }
  return t;
}

/** A flash sale opens earlier for the tiers it lists, by their benefit's minutes. */
function opensAt(p: Promotion, customer: QuoteInput['customer']): number {
  const early =
    p.rule.kind === 'flash_sale' && customer.tier && p.rule.earlyAccessTiers?.includes(customer.tier)
      ? (customer.benefits?.flashSaleEarlyMinutes ?? 0)
      : 0;
  return timeOf(p.startsAt) - early * 60_000;
}

/** A promotion can apply to this order at all (before its rule is tried). */
function eligible(p: Promotion, ctx: Ctx): boolean {
  const { input, at } = ctx;
  if (!p.active || at < opensAt(p, input.customer) || at >= timeOf(p.endsAt)) return false;
  if (p.merchantId !== null && p.merchantId !== ctx.merchantId) return false;
  if (p.channels?.length && !p.channels.includes(input.channel)) return false;
  if (p.customerTiers?.length && !(input.customer.tier && p.customerTiers.includes(input.customer.tier))) return false;
  const used = input.usage?.get(p.id);
  if (p.budgetUses != null && (used?.uses ?? 0) >= p.budgetUses) return false;
  if (p.budgetAmount != null && (used?.amount ?? 0) >= p.budgetAmount) return false;
  return true;
}

/** A promotion scoped to SKUs the cart lacks, or a flash sale of another SKU, can give the cart nothing. */
function touches(p: Promotion, skus: ReadonlySet<string>): boolean {
  const rule = p.rule;
  if (rule.kind === 'flash_sale') return skus.has(rule.sku);
  return !('scope' in rule) || !rule.scope.skus || rule.scope.skus.some((s) => skus.has(s));
}

const inScope = (rule: { scope: { skus?: string[] } }, l: WorkLine) =>
  !l.gift && l.amount > 0 && (!rule.scope.skus || rule.scope.skus.includes(l.sku));

/** Money the promotion may still give: its budget left, and what is left of it in this order. */
function budgetLeft(p: Promotion, ctx: Ctx, w: Work): number {
  if (p.budgetAmount == null) return Number.MAX_SAFE_INTEGER;
  const given = w.adjustments.filter((a) => a.promotionId === p.id).reduce((t, a) => t + a.amount, 0);
  return Math.max(0, p.budgetAmount - (ctx.input.usage?.get(p.id)?.amount ?? 0) - given);
}

/** Takes `off` from the lines in proportion to what is still payable on each, line by line. */
function spread(p: Promotion, w: Work, lines: WorkLine[], off: number): void {
  const base = lines.reduce((t, l) => t + l.amount, 0);
  const amount = Math.min(off, base);
  if (amount <= 0) return;
  const parts = allocateLargestRemainder(
    amount,
    lines.map((l) => l.amount),
  );
  lines.forEach((l, i) => take(p, w, l, parts[i]));
}

function take(p: Promotion, w: Work, l: WorkLine, amount: number, units?: number): void {
  const a = Math.min(amount, l.amount);
  if (a <= 0) return;
  l.amount -= a;
  w.adjustments.push({
    source: 'promotion',
    code: p.code,
    kind: p.rule.kind,
    promotionId: p.id,
    lineNo: l.lineNo,
    amount: a,
    ...(units ? { units } : {}),
  });
}

const percentOf = (base: number, percent: number) => Math.floor((base * Math.round(percent * 100)) / 10000);

function addGift(p: Promotion, ctx: Ctx, w: Work, sku: string, quantity: number): void {
  const entry = ctx.input.catalog.get(sku);
  if (!entry || !entry.active || entry.merchantId !== ctx.merchantId || quantity <= 0) return;
  const lineNo = w.lines.length + 1;
  w.lines.push({ lineNo, sku, name: entry.name, unitPrice: 0, quantity, amount: 0, gift: true });
  w.giftValue += entry.priceAmount * quantity;
  w.adjustments.push({ source: 'promotion', code: p.code, kind: p.rule.kind, promotionId: p.id, lineNo, amount: 0 });
}

/** Units of a line that are free in a buy-X-get-Y, and the part of what is payable they stand for. */
function buyGet(p: Promotion, rule: Extract<PromotionRule, { kind: 'buy_get' }>, ctx: Ctx, w: Work): void {
  const bought = w.lines.filter((l) => inScope(rule, l));
  const units = bought.reduce((t, l) => t + l.quantity, 0);
  const target = w.lines.find((l) => !l.gift && l.sku === rule.getSku && l.amount > 0);
  const sameGoods = target !== undefined && bought.includes(target);
  const free =
    Math.floor(units / (sameGoods ? rule.buyQuantity + rule.getQuantity : rule.buyQuantity)) * rule.getQuantity;
  if (free <= 0) return;
  if (!target) return addGift(p, ctx, w, rule.getSku, free);
  const n = Math.min(free, target.quantity);
  take(p, w, target, Math.min(budgetLeft(p, ctx, w), Math.floor((target.amount * n) / target.quantity)));
}

/** The highest tier `base` reaches (the first listed among equal thresholds). */
function tierReached<T extends { threshold: number }>(tiers: readonly T[], base: number): T | undefined {
  let reached: T | undefined;
  for (const t of tiers) if (base >= t.threshold && (!reached || t.threshold > reached.threshold)) reached = t;
  return reached;
}

function applyRule(p: Promotion, ctx: Ctx, w: Work): void {
  const rule = p.rule;
  switch (rule.kind) {
    case 'spend_save': {
      const lines = w.lines.filter((l) => inScope(rule, l));
      const base = lines.reduce((t, l) => t + l.amount, 0);
      const tier = tierReached(rule.tiers, base);
      if (!tier) return;
      const off = rule.perEvery ? Math.floor(base / tier.threshold) * tier.off : tier.off;
      return spread(p, w, lines, capOf(p, ctx, w, Math.min(off, rule.maxOff ?? off)));
    }
    case 'percent_off':
    case 'member_discount': {
      const { tier, benefits } = ctx.input.customer;
      // A member discount names its own percentages, or gives the tier's configured one.
      const percent =
        rule.kind === 'percent_off'
          ? rule.percent
          : tier
            ? (rule.percentByTier[tier] ?? benefits?.memberDiscountPercent)
            : undefined;
      if (!percent) return;
      const lines = w.lines.filter((l) => inScope(rule, l));
      const off = percentOf(
        lines.reduce((t, l) => t + l.amount, 0),
        percent,
      );
      const max = rule.kind === 'percent_off' ? (rule.maxOff ?? off) : off;
      return spread(p, w, lines, capOf(p, ctx, w, Math.min(off, max)));
    }
    case 'amount_off': {
      const lines = w.lines.filter((l) => inScope(rule, l));
      if (rule.per === 'order') return spread(p, w, lines, capOf(p, ctx, w, rule.amount));
      for (const l of lines) take(p, w, l, capOf(p, ctx, w, rule.amount * l.quantity));
      return;
    }
    case 'flash_sale': {
      const l = w.lines.find((x) => !x.gift && x.sku === rule.sku);
      if (!l) return;
      const used = ctx.input.usage?.get(p.id);
      const units = Math.min(
        l.quantity,
        rule.stockCap - (used?.units ?? 0),
        rule.perCustomerLimit - (used?.customerUnits ?? 0),
      );
      if (units <= 0) return;
      return take(p, w, l, capOf(p, ctx, w, units * Math.max(0, l.unitPrice - rule.price)), units);
    }
    case 'buy_get':
      return buyGet(p, rule, ctx, w);
    case 'gift': {
      const base = w.lines.filter((l) => inScope(rule, l)).reduce((t, l) => t + l.amount, 0);
      if (base >= rule.threshold && base > 0) addGift(p, ctx, w, rule.giftSku, rule.quantity);
      return;
    }
    case 'free_shipping': {
      const goods = w.lines.reduce((t, l) => t + l.amount, 0);
      if (goods >= rule.threshold && !w.freeShipping)
        w.freeShipping = { source: 'shipping', code: p.code, kind: 'free_shipping', promotionId: p.id, amount: 0 };
      return;
    }
  }
}

/** `off` within what the promotion's money budget still allows (a function, not a closure per rule applied: tsx names each closure it makes, and a quote applies thousands). */
function capOf(p: Promotion, ctx: Ctx, w: Work, off: number): number {
  return Math.min(off, budgetLeft(p, ctx, w));
}

/** Order in which a combination's rules apply: unit prices, then the order's value, then shipping; higher priority first. */
export function applicationOrder(a: Promotion, b: Promotion): number {
  return (
    stageOf(a.rule.kind) - stageOf(b.rule.kind) ||
    b.priority - a.priority ||
    a.code.localeCompare(b.code) ||
    a.id.localeCompare(b.id)
  );
}

interface Outcome {
  promotions: Promotion[];
  work: Work;
  shippingFee: number;
  shippingAdjustments: Adjustment[];
  benefit: number;
}

function shippingFeeOf(input: QuoteInput): number {
  if (!input.shipping) return 0;
  return input.shipping.byProvince?.[input.province] ?? input.shipping.defaultFee;
}

function evaluate(base: WorkLine[], promotions: Promotion[], ctx: Ctx): Outcome {
  const work: Work = { lines: base.map((l) => ({ ...l })), adjustments: [], freeShipping: null, giftValue: 0 };
  const ordered = promotions.length > 1 ? [...promotions].sort(applicationOrder) : promotions;
  for (const p of ordered) applyRule(p, ctx, work);
  const goods = work.lines.reduce((t, l) => t + l.amount, 0);
  const fee = shippingFeeOf(ctx.input);
  const shippingAdjustments: Adjustment[] = [];
  const threshold = ctx.input.shipping?.freeAbove;
  if (fee > 0 && ctx.input.customer.benefits?.freeShipping)
    shippingAdjustments.push({
      source: 'shipping',
      code: 'member-free-shipping',
      kind: 'member_shipping',
      amount: fee,
    });
  else if (fee > 0 && threshold != null && goods >= threshold)
    shippingAdjustments.push({
      source: 'shipping',
      code: 'free-above-threshold',
      kind: 'shipping_threshold',
      amount: fee,
    });
  else if (fee > 0 && work.freeShipping) shippingAdjustments.push({ ...work.freeShipping, amount: fee });
  const saved = shippingAdjustments.reduce((t, a) => t + a.amount, 0);
  const discount = work.adjustments.reduce((t, a) => t + a.amount, 0);
  return {
    promotions: ordered,
    work,
    shippingFee: fee - saved,
    shippingAdjustments,
    benefit: discount + saved + work.giftValue,
  };
}

/**
 * The one pricing function (quotes and submission): prices the lines from the catalog, tries the
 * combinations the promotions allow (every allowed promotion alone, and all the stackable ones
 * together) and keeps the best for the customer: most money off goods and shipping plus the list
 * value of gifts; ties go to the earlier candidate (the stack, then singles by priority).
 */
export function quote(input: QuoteInput, options: QuoteOptions = {}): Quote {
  const errors: Array<{ path: string; message: string }> = [];
  input.lines.forEach((line, i) => {
    const entry = input.catalog.get(line.sku);
    if (!entry) errors.push({ path: `lines.${i}.sku`, message: `unknown sku ${line.sku}` });
    else if (!entry.active) errors.push({ path: `lines.${i}.sku`, message: `sku ${line.sku} is not on sale` });
  });
  if (errors.length) return { ok: false, errors };
  const entries = input.lines.map((l) => input.catalog.get(l.sku)!);
  const { merchantId, currency } = entries[0];
  entries.forEach((e, i) => {
    if (e.merchantId !== merchantId)
      errors.push({ path: `lines.${i}.sku`, message: 'all lines of an order must belong to one merchant' });
    if (e.currency !== currency)
      errors.push({ path: `lines.${i}.sku`, message: 'all lines of an order must share one currency' });
  });
  if (errors.length) return { ok: false, errors };

  const ctx: Ctx = { input, merchantId, at: Date.parse(input.at) };
  const base: WorkLine[] = input.lines.map((l, i) => ({
    lineNo: i + 1,
    sku: l.sku,
    name: entries[i].name,
    unitPrice: entries[i].priceAmount,
    quantity: l.quantity,
    amount: entries[i].priceAmount * l.quantity,
    gift: false,
  }));
  // Leaving out what cannot touch the cart keeps the combinations tried few when a shop runs many.
  const skus = new Set(input.lines.map((l) => l.sku));
  const allowed = input.promotions
    .filter((p) => touches(p, skus) && eligible(p, ctx))
    .sort((a, b) => b.priority - a.priority || a.code.localeCompare(b.code) || a.id.localeCompare(b.id));
  const best = bestCombination(base, allowed, ctx, options);
  const checkout = applyCheckout(best.work, ctx, currency);
  if (checkout.errors.length) return { ok: false, errors: checkout.errors };
  return result(best, merchantId, currency, checkout.points);
}

export interface QuoteOptions {
  /** Evaluate every single promotion, even one that cannot beat the best found (tests compare the two). */
  exhaustive?: boolean;
}

/**
 * The stack of the stackable promotions, then each allowed promotion alone, keeping the best (the
 * earlier on a tie). A single whose most it could give is no more than the best so far cannot win,
 * so it is not evaluated: the answer is the same (test/unit/domain-pricing-engine.test.ts), and a
 * cart under a shop's many promotions is priced in a fraction of the evaluations.
 */
function bestCombination(base: WorkLine[], allowed: Promotion[], ctx: Ctx, options: QuoteOptions): Outcome {
  let best = evaluate(base, [], ctx);
  const stack = allowed.filter((p) => !p.exclusive);
  if (stack.length > 0) best = better(best, evaluate(base, stack, ctx));
  const fee = shippingFeeOf(ctx.input);
  for (const p of allowed) {
    if (!options.exhaustive && mostAloneGives(p, base, ctx) + fee <= best.benefit) continue;
    best = better(best, evaluate(base, [p], ctx));
  }
  return best;
}

const better = (best: Outcome, o: Outcome) => (o.benefit > best.benefit ? o : best);

/**
 * At least what `p` alone gives the list-priced `base` off the goods plus in gifts: applyRule's
 * amount before its money budget (which can only lower it). Shipping is bounded apart, by the fee.
 */
function mostAloneGives(p: Promotion, base: WorkLine[], ctx: Ctx): number {
  const rule = p.rule;
  switch (rule.kind) {
    case 'spend_save': {
      const sum = sumInScope(rule, base);
      const tier = tierReached(rule.tiers, sum);
      if (!tier) return 0;
      return Math.min(sum, rule.maxOff ?? sum, rule.perEvery ? Math.floor(sum / tier.threshold) * tier.off : tier.off);
    }
    case 'percent_off':
      return Math.min(percentOf(sumInScope(rule, base), rule.percent), rule.maxOff ?? Number.MAX_SAFE_INTEGER);
    case 'member_discount': {
      const { tier, benefits } = ctx.input.customer;
      const percent = tier ? (rule.percentByTier[tier] ?? benefits?.memberDiscountPercent) : undefined;
      return percent ? percentOf(sumInScope(rule, base), percent) : 0;
    }
    case 'amount_off':
      return rule.per === 'order'
        ? Math.min(rule.amount, sumInScope(rule, base))
        : base.reduce((t, l) => (inScope(rule, l) ? t + Math.min(rule.amount * l.quantity, l.amount) : t), 0);
    case 'flash_sale': {
      const l = base.find((x) => x.sku === rule.sku);
      return l ? Math.min(l.amount, l.quantity * Math.max(0, l.unitPrice - rule.price)) : 0;
    }
    case 'buy_get': {
      // Counting every bought unit towards the free ones, whether or not it is itself the free SKU, is an upper bound.
      const units = base.reduce((t, l) => (inScope(rule, l) ? t + l.quantity : t), 0);
      return giftValue(ctx, rule.getSku, Math.floor(units / rule.buyQuantity) * rule.getQuantity);
    }
    case 'gift':
      return giftValue(ctx, rule.giftSku, rule.quantity);
    case 'free_shipping':
      return 0;
  }
}

// Module functions, not closures made per call: tsx names every closure it makes (see capOf).
function sumInScope(rule: { scope: { skus?: string[] } }, lines: WorkLine[]): number {
  let sum = 0;
  for (const l of lines) if (inScope(rule, l)) sum += l.amount;
  return sum;
}

function giftValue(ctx: Ctx, sku: string, quantity: number): number {
  const entry = ctx.input.catalog.get(sku);
  return entry ? entry.priceAmount * Math.max(0, quantity) : 0;
}

/** Takes `off` from `lines` in proportion to what is still payable on each, as `head` adjustments. */
function deduct(w: Work, lines: WorkLine[], off: number, head: Pick<Adjustment, 'source' | 'code' | 'kind'>): void {
  const base = lines.reduce((t, l) => t + l.amount, 0);
  const amount = Math.min(off, base);
  if (amount <= 0) return;
  const parts = allocateLargestRemainder(
    amount,
    lines.map((l) => l.amount),
  );
  lines.forEach((l, i) => {
    if (parts[i] <= 0) return;
    l.amount -= parts[i];
    w.adjustments.push({ ...head, lineNo: l.lineNo, amount: parts[i] });
  });
}

/**
 * Checkout, after the best combination of promotions: the coupon on the goods it covers, then points
 * on what is left (decision 070). Shipping thresholds were judged on the goods after promotions.
 */
function applyCheckout(
  w: Work,
  ctx: Ctx,
  currency: string,
): { errors: Array<{ path: string; message: string }>; points: number } {
  const { coupon, points } = ctx.input;
  if (coupon) {
    const lines = w.lines.filter(
      (l) => !l.gift && l.amount > 0 && (!coupon.skus?.length || coupon.skus.includes(l.sku)),
    );
    const base = lines.reduce((t, l) => t + l.amount, 0);
    const problem = couponProblem(coupon, ctx.input.at, ctx.merchantId, currency, base);
    if (problem) return { errors: [{ path: 'couponCode', message: problem }], points: 0 };
    deduct(w, lines, couponOff(coupon, base), { source: 'coupon', code: coupon.code, kind: 'coupon' });
  }
  if (!points || points.requested === 0) return { errors: [], points: 0 };
  const lines = w.lines.filter((l) => !l.gift && l.amount > 0);
  const goods = lines.reduce((t, l) => t + l.amount, 0);
  const value = pointsValue(points.requested, points.terms.rate);
  const max = maxRedeemablePoints(goods, points.terms);
  const problem =
    value === null
      ? `points are spent in steps of ${points.terms.rate / 100} at ${points.terms.rate} points per currency unit`
      : points.requested > points.balance
        ? `the balance is ${points.balance} points`
        : points.requested > max
          ? `at most ${max} points (${points.terms.maxPercent} % of the goods) on this order`
          : null;
  if (problem) return { errors: [{ path: 'pointsToRedeem', message: problem }], points: 0 };
  deduct(w, lines, value!, { source: 'points', code: 'points', kind: 'points' });
  return { errors: [], points: points.requested };
}

function result(best: Outcome, merchantId: string, currency: string, pointsSpent: number): Quote & { ok: true } {
  const discounts = new Map<number, number>();
  for (const a of best.work.adjustments)
    if (a.lineNo !== undefined) discounts.set(a.lineNo, (discounts.get(a.lineNo) ?? 0) + a.amount);
  const lines: QuotedLine[] = best.work.lines.map((l) => {
    const discount = discounts.get(l.lineNo) ?? 0;
    return {
      lineNo: l.lineNo,
      sku: l.sku,
      name: l.name,
      unitPrice: l.unitPrice,
      quantity: l.quantity,
      discount,
      paid: l.unitPrice * l.quantity - discount,
      ...(l.gift ? { gift: true } : {}),
    };
  });
  const orderLines = lines.map((l) => {
    const line: OrderLine = newLedgerLine(l.lineNo, l.sku, l.name, l.unitPrice, l.quantity);
    if (l.discount > 0) line.discount = l.discount;
    if (l.gift) line.gift = true;
    return line;
  });
  const subtotal = lines.reduce((t, l) => t + l.unitPrice * l.quantity, 0);
  // A line's discount counts every deduction (its paid price); the order's discount leaves points apart.
  const pointsRedeemed = best.work.adjustments.filter((a) => a.source === 'points').reduce((t, a) => t + a.amount, 0);
  const discount = lines.reduce((t, l) => t + l.discount, 0) - pointsRedeemed;
  const couponCode = best.work.adjustments.find((a) => a.source === 'coupon')?.code;
  const used = new Set(
    [...best.work.adjustments, ...best.shippingAdjustments].map((a) => a.promotionId).filter(Boolean),
  );
  return {
    ok: true,
    merchantId,
    orderLines,
    lines,
    adjustments: [...best.work.adjustments, ...best.shippingAdjustments],
    applied: best.promotions.filter((p) => used.has(p.id)).map((p) => p.code),
    totals: {
      currency,
      subtotal,
      discount,
      shippingFee: best.shippingFee,
      ...(pointsRedeemed > 0 ? { pointsRedeemed } : {}),
      total: subtotal - discount - pointsRedeemed + best.shippingFee,
    },
    ...(couponCode ? { couponCode } : {}),
    pointsSpent,
  };
}
