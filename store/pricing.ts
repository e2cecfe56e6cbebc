import {
  pointsBalance,
  quote,
  ruleSchema,
  skusNamed,
  type CatalogEntry,
  type CouponTerms,
  type MembershipTerms,
  type PointsTerms,
  type Promotion,
  type PromotionUsage,
  type Quote,
  type QuoteInput,
  type ShippingRate,
} from '../domain';
import type { Prisma } from '../prisma/generated/client';
import type { Db } from './db';
import { standingOf } from './membership';

type Reader = Db | Prisma.TransactionClient;

export interface PriceRequest {
  at: Date;
  channel: string;
  customerId: string;
  /** Tiers to price the customer's member benefits with (docs/pricing.md "Membership"); none: no tier. */
  membership?: MembershipTerms;
  province: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  /** false: list prices, no promotions and no shipping fee (config PRICING_PROMOTIONS=off). */
  promotions: boolean;
  /** A coupon code of this customer, and points to spend at `points` terms (decision 070). */
  couponCode?: string;
  pointsToRedeem?: number;
  points?: PointsTerms;
}

type Problem = { path: string; message: string };

/** The customer's unused coupon by its code, as the engine sees it, or why it cannot be used (422 couponCode). */
async function couponOf(db: Reader, code: string, customerId: string): Promise<CouponTerms | Problem> {
  const c = await db.coupon.findUnique({ where: { code }, include: { template: true } });
  if (!c) return { path: 'couponCode', message: `unknown coupon ${code}` };
  if (c.customerId !== customerId) return { path: 'couponCode', message: `coupon ${code} belongs to another customer` };
  if (c.status !== 'issued') return { path: 'couponCode', message: `coupon ${code} has been used` };
  const t = c.template;
  // An after-sales coupon has no template: its amount off anything, at any time, with no minimum spend.
  if (!t) return { code, kind: 'amount', amount: c.amount, minSpend: 0, merchantId: null, currency: c.currency };
  return {
    code,
    kind: t.kind === 'percent' ? 'percent' : 'amount',
    amount: t.amount,
    percent: t.percent,
    maxOff: t.maxOff,
    minSpend: t.minSpend,
    merchantId: t.merchantId,
    skus: (t.skus as string[] | null) ?? null,
    currency: t.currency,
    validFrom: t.startsAt.toISOString(),
    validUntil: t.endsAt.toISOString(),
  };
}

/** The customer's points balance at `at` (expired lots left out), computed from the ledger. */
export async function pointsBalanceOf(db: Reader, customerId: string, at: Date): Promise<number> {
  const entries = await db.pointsEntry.findMany({ where: { customerId } });
  return pointsBalance(
    entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
    at.toISOString(),
  ).balance;
}

type PromotionRow = Prisma.PromotionGetPayload<object>;

/** A stored promotion as the engine sees it; a row whose rule no longer parses is left out. */
export function promotionOf(row: PromotionRow): Promotion | null {
  const rule = ruleSchema.safeParse(row.rule);
  if (!rule.success) return null;
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    merchantId: row.merchantId,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    priority: row.priority,
    exclusive: row.exclusive,
    channels: (row.channels as string[] | null) ?? null,
    customerTiers: (row.customerTiers as string[] | null) ?? null,
    budgetUses: row.budgetUses,
    budgetAmount: row.budgetAmount,
    active: row.active,
    rule: rule.data,
  };
}

/**
 * Everything the engine needs for one cart, read from the database: the catalog entries of the lines
 * and of the gifts the promotions may give, the promotions in force at `at` for the cart's merchant
 * and the platform, what each has given so far, and the merchant's shipping rate. Then the engine.
 */
export async function priceCart(db: Reader, req: PriceRequest): Promise<Quote> {
  const input = await quoteInputOf(db, req);
  return 'errors' in input ? { ok: false, errors: input.errors } : quote(input);
}

/**
 * The promotions in force for a cart (by `opensBy`, for early access) that could touch it: the
 * merchant's and the platform's, leaving out those scoped to SKUs the cart does not have and flash
 * sales of other SKUs — they can give it nothing, so the engine's answer is the same without them
 * (test/integration/pricing-candidates.test.ts), and most of a shop's promotions are such.
 */
export async function candidatePromotions(
  db: Reader,
  c: { merchantId: string; skus: string[]; at: Date; opensBy: Date },
): Promise<Promotion[]> {
  const rows = await db.$queryRaw<PromotionRow[]>`
    SELECT id, code, merchant_id AS "merchantId", name, rule, starts_at AS "startsAt", ends_at AS "endsAt",
      priority, exclusive, channels, customer_tiers AS "customerTiers", budget_uses AS "budgetUses",
      budget_amount AS "budgetAmount", active, created_at AS "createdAt", updated_at AS "updatedAt"
    FROM promotions
    WHERE active AND starts_at <= ${c.opensBy} AND ends_at > ${c.at}
      AND (merchant_id = ${c.merchantId} OR merchant_id IS NULL)
      AND (rule->'scope'->'skus' IS NULL OR jsonb_exists_any(rule->'scope'->'skus', ${c.skus}::text[]))
      AND (rule->>'kind' IS DISTINCT FROM 'flash_sale' OR rule->>'sku' = ANY(${c.skus}::text[]))`;
  return rows.map(promotionOf).filter((p): p is Promotion => p !== null);
}

/** The engine's input for one cart as priceCart reads it (apart so the benchmark can time the engine alone). */
export async function quoteInputOf(db: Reader, req: PriceRequest): Promise<QuoteInput | { errors: Problem[] }> {
  const skus = req.lines.map((l) => l.sku);
  const products = await db.product.findMany({ where: { sku: { in: skus } } });
  const catalog = new Map<string, CatalogEntry>(products.map((p) => [p.sku, p]));
  const merchantId = req.promotions ? catalog.get(req.lines[0]?.sku ?? '')?.merchantId : undefined;
  // Independent reads go together (one round trip's wait instead of five). Flash sales some tier
  // may enter early are read that far ahead; the engine checks which ones this customer's tier may.
  const earliest = Math.max(0, ...(req.membership?.tiers ?? []).map((t) => t.flashSaleEarlyMinutes ?? 0));
  const [standing, promotions, rate, coupon, balance] = await Promise.all([
    req.promotions && req.membership ? standingOf(db, req.customerId, req.at, req.membership) : null,
    merchantId
      ? candidatePromotions(db, {
          merchantId,
          skus,
          at: req.at,
          opensBy: new Date(req.at.getTime() + earliest * 60_000),
        })
      : [],
    merchantId ? db.shippingRate.findUnique({ where: { merchantId } }) : null,
    req.couponCode ? couponOf(db, req.couponCode, req.customerId) : null,
    req.pointsToRedeem && req.points ? pointsBalanceOf(db, req.customerId, req.at) : null,
  ]);
  if (coupon && 'path' in coupon) return { errors: [coupon] };
  const tier = standing?.tier ?? null;
  const [usage] = await Promise.all([usageOf(db, promotions, req.customerId), addGifts(db, promotions, catalog)]);
  const shipping: ShippingRate | null = rate
    ? { defaultFee: rate.defaultFee, byProvince: rate.byProvince as Record<string, number>, freeAbove: rate.freeAbove }
    : null;
  return {
    at: req.at.toISOString(),
    channel: req.channel,
    customer: { id: req.customerId, tier: tier?.name ?? null, benefits: tier },
    lines: req.lines,
    catalog,
    promotions,
    usage,
    shipping,
    province: req.province,
    coupon,
    points: balance !== null ? { requested: req.pointsToRedeem!, balance, terms: req.points! } : null,
  };
}

/** Adds to the catalog the SKUs the promotions may give away that the cart does not have. */
async function addGifts(db: Reader, promotions: readonly Promotion[], catalog: Map<string, CatalogEntry>) {
  const gifts = [...new Set(promotions.flatMap((p) => skusNamed(p.rule).map((n) => n.sku)))].filter(
    (s) => !catalog.has(s),
  );
  if (gifts.length) for (const p of await db.product.findMany({ where: { sku: { in: gifts } } })) catalog.set(p.sku, p);
}

/** What each promotion has given so far, and this customer's flash-sale units: the counters acceptance keeps. */
async function usageOf(
  db: Reader,
  promotions: readonly Promotion[],
  customerId: string,
): Promise<Map<string, PromotionUsage>> {
  const ids = promotions.map((p) => p.id);
  if (ids.length === 0) return new Map();
  const counters = await db.promotionCounter.findMany({ where: { promotionId: { in: ids } } });
  const mine = await db.promotionCustomerUnits.findMany({ where: { promotionId: { in: ids }, customerId } });
  const usage = new Map<string, PromotionUsage>(
    counters.map((c) => [c.promotionId, { uses: c.uses, amount: c.amount, units: c.units, customerUnits: 0 }]),
  );
  for (const m of mine) {
    const u = usage.get(m.promotionId) ?? { uses: 0, amount: 0, units: 0, customerUnits: 0 };
    usage.set(m.promotionId, { ...u, customerUnits: m.units });
  }
  return usage;
}

/** Records what an accepted submission took from each promotion (the counts the next quotes read). */
export async function recordRedemptions(
  tx: Prisma.TransactionClient,
  orderId: string,
  customerId: string,
  q: Quote & { ok: true },
): Promise<void> {
  const byPromotion = new Map<string, { units: number; amount: number }>();
  for (const a of q.adjustments) {
    if (!a.promotionId) continue;
    const r = byPromotion.get(a.promotionId) ?? { units: 0, amount: 0 };
    r.amount += a.source === 'promotion' ? a.amount : 0;
    r.units += a.units ?? 0;
    byPromotion.set(a.promotionId, r);
  }
  if (byPromotion.size === 0) return;
  await tx.promotionRedemption.createMany({
    data: [...byPromotion].map(([promotionId, r]) => ({ promotionId, orderId, customerId, ...r })),
    skipDuplicates: true,
  });
}
