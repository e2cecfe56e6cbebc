import {
  quote,
  ruleSchema,
  skusNamed,
  type CatalogEntry,
  type Promotion,
  type PromotionUsage,
  type Quote,
  type ShippingRate,
} from '../domain';
import type { Prisma } from '../prisma/generated/client';
import type { Db } from './db';

type Reader = Db | Prisma.TransactionClient;

export interface PriceRequest {
  at: Date;
  channel: string;
  customerId: string;
  /** Membership tier; absent until membership exists (docs/pricing.md). */
  tier?: string | null;
  province: string;
  lines: ReadonlyArray<{ sku: string; quantity: number }>;
  /** false: list prices, no promotions and no shipping fee (config PRICING_PROMOTIONS=off). */
  promotions: boolean;
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
  const products = await db.product.findMany({ where: { sku: { in: req.lines.map((l) => l.sku) } } });
  const catalog = new Map<string, CatalogEntry>(products.map((p) => [p.sku, p]));
  const merchantId = catalog.get(req.lines[0]?.sku ?? '')?.merchantId;
  const rows =
    merchantId && req.promotions
      ? await db.promotion.findMany({
          where: {
            active: true,
            startsAt: { lte: req.at },
            endsAt: { gt: req.at },
            OR: [{ merchantId }, { merchantId: null }],
          },
        })
      : [];
  const promotions = rows.map(promotionOf).filter((p): p is Promotion => p !== null);
  const gifts = [...new Set(promotions.flatMap((p) => skusNamed(p.rule).map((n) => n.sku)))].filter(
    (s) => !catalog.has(s),
  );
  if (gifts.length) for (const p of await db.product.findMany({ where: { sku: { in: gifts } } })) catalog.set(p.sku, p);
  const usage = await usageOf(db, promotions, req.customerId);
  const rate = merchantId && req.promotions ? await db.shippingRate.findUnique({ where: { merchantId } }) : null;
  const shipping: ShippingRate | null = rate
    ? { defaultFee: rate.defaultFee, byProvince: rate.byProvince as Record<string, number>, freeAbove: rate.freeAbove }
    : null;
  return quote({
    at: req.at.toISOString(),
    channel: req.channel,
    customer: { id: req.customerId, tier: req.tier ?? null },
    lines: req.lines,
    catalog,
    promotions,
    usage,
    shipping,
    province: req.province,
  });
}

async function usageOf(
  db: Reader,
  promotions: readonly Promotion[],
  customerId: string,
): Promise<Map<string, PromotionUsage>> {
  const ids = promotions.map((p) => p.id);
  if (ids.length === 0) return new Map();
  const all = await db.promotionRedemption.groupBy({
    by: ['promotionId'],
    where: { promotionId: { in: ids } },
    _count: { _all: true },
    _sum: { amount: true, units: true },
  });
  const mine = await db.promotionRedemption.groupBy({
    by: ['promotionId'],
    where: { promotionId: { in: ids }, customerId },
    _sum: { units: true },
  });
  const usage = new Map<string, PromotionUsage>(
    all.map((u) => [
      u.promotionId,
      { uses: u._count._all, amount: u._sum.amount ?? 0, units: u._sum.units ?? 0, customerUnits: 0 },
    ]),
  );
  for (const m of mine) usage.get(m.promotionId)!.customerUnits = m._sum.units ?? 0;
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
