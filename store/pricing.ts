import {
  growthWindowStart,
  membershipStanding,
  pointsBalance,
  quote,
  type CatalogEntry,
  type CouponTerms,
  type MembershipTerms,
  type PointsLedgerEntry,
  type PointsTerms,
  type Promotion,
  type PromotionUsage,
  type Quote,
  type QuoteInput,
  type ShippingRate,
} from '../domain';
import { poolOf, type Db } from './db';
import { growthSql } from './membership';
import { promotionCacheOf, type CandidateQuery, type PromotionCache } from './promotions';

// promotionOf's home is store/promotions.ts; the routes and tests have always found it here.
export { promotionOf } from './promotions';

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

interface CouponRow {
  customerId: string;
  status: string;
  amount: number;
  currency: string;
  template: {
    kind: string;
    amount: number | null;
    percent: number | null;
    maxOff: number | null;
    minSpend: number;
    merchantId: string | null;
    skus: string[] | null;
    currency: string;
    startsAt: string;
    endsAt: string;
  } | null;
}

/** The customer's unused coupon as the engine sees it, or why it cannot be used (422 couponCode). */
function couponOf(c: CouponRow | null, code: string, customerId: string): CouponTerms | Problem {
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
    skus: t.skus ?? null,
    currency: t.currency,
    validFrom: new Date(t.startsAt).toISOString(),
    validUntil: new Date(t.endsAt).toISOString(),
  };
}

/** The balance at `at` of ledger entries (expired lots left out). */
const balanceOf = (
  entries: ReadonlyArray<Omit<PointsLedgerEntry, 'createdAt'> & { createdAt: Date | string }>,
  at: Date,
) =>
  pointsBalance(
    entries.map((e) => ({ ...e, createdAt: new Date(e.createdAt).toISOString() })),
    at.toISOString(),
  ).balance;

/**
 * Everything the engine needs for one cart, read from the database: the catalog entries of the lines
 * and of the gifts the promotions may give, the promotions in force at `at` for the cart's merchant
 * and the platform, what each has given so far, and the merchant's shipping rate. Then the engine.
 */
export async function priceCart(db: Db, req: PriceRequest, cache = promotionCacheOf(db)): Promise<Quote> {
  const input = await quoteInputOf(db, req, cache);
  return 'errors' in input ? { ok: false, errors: input.errors } : quote(input);
}

/**
 * The promotions in force for a cart (by `opensBy`, for early access) that could touch it: the
 * merchant's and the platform's, leaving out those scoped to SKUs the cart does not have and flash
 * sales of other SKUs — they can give it nothing, so the engine's answer is the same without them
 * (test/api/pricing-candidates.test.ts), and most of a shop's promotions are such. From the
 * process's cache, brought up to the database's version first.
 */
export async function candidatePromotions(
  db: Db,
  c: CandidateQuery,
  cache = promotionCacheOf(db),
): Promise<Promotion[]> {
  const [{ version }] = await db.$queryRaw<[{ version: bigint }]>`SELECT version FROM promotions_version`;
  await cache.refresh(db, version);
  return cache.candidates(c);
}

/** What one statement reads for a cart (cartReads). */
interface CartRows {
  version: string;
  products: CatalogEntry[];
  rate: ShippingRate | null;
  growth: number | null;
  coupon: CouponRow | null;
  points: Array<PointsLedgerEntry> | null;
  counters: Array<{ promotionId: string; uses: number; amount: number; units: number }>;
  mine: Array<{ promotionId: string; units: number }>;
}

/** One text, so pg prepares it once per connection; what a cart does not ask for is a false or null parameter. */
const CART_READS = `SELECT
  (SELECT version::text FROM promotions_version) AS version,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('sku', sku, 'merchantId', merchant_id, 'name', name,
      'priceAmount', price_amount, 'currency', currency, 'active', active)), '[]')
    FROM products WHERE sku = ANY($1::text[])) AS products,
  (SELECT jsonb_build_object('defaultFee', default_fee, 'byProvince', by_province, 'freeAbove', free_above)
    FROM shipping_rates WHERE $2::boolean AND merchant_id = (SELECT merchant_id FROM products WHERE sku = $3::text)) AS rate,
  CASE WHEN $4::boolean THEN ${growthSql('$5::text', '$6::timestamptz', '$7::timestamptz', 'NULL::text')} END AS growth,
  (SELECT jsonb_build_object('customerId', c.customer_id, 'status', c.status, 'amount', c.amount, 'currency', c.currency,
      'template', (SELECT jsonb_build_object('kind', t.kind, 'amount', t.amount, 'percent', t.percent,
        'maxOff', t.max_off, 'minSpend', t.min_spend, 'merchantId', t.merchant_id, 'skus', t.skus, 'currency', t.currency,
        'startsAt', t.starts_at, 'endsAt', t.ends_at) FROM coupon_templates t WHERE t.id = c.template_id))
    FROM coupons c WHERE c.code = $8::text) AS coupon,
  CASE WHEN $9::boolean THEN (SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'orderId', order_id,
      'delta', delta, 'reason', reason, 'createdAt', created_at)), '[]')
    FROM points_entries WHERE customer_id = $5::text) END AS points,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('promotionId', promotion_id, 'uses', uses, 'amount', amount, 'units', units)), '[]')
    FROM promotion_counters WHERE promotion_id = ANY($10::text[])) AS counters,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('promotionId', promotion_id, 'units', units)), '[]')
    FROM promotion_customer_units WHERE promotion_id = ANY($10::text[]) AND customer_id = $5::text) AS mine`;

/**
 * Every database read of a quote in one statement, so one snapshot and one round trip: the products
 * of the lines and of the possible gifts, the merchant's shipping rate, the customer's growth, coupon
 * and points ledger, the candidates' counters, and the version of the promotion definitions.
 */
async function cartReads(
  db: Db,
  req: PriceRequest,
  c: { skus: string[]; gifts: string[]; promotionIds: string[] },
): Promise<CartRows> {
  const { rows } = await poolOf(db).query<CartRows>({
    name: 'cart-reads',
    text: CART_READS,
    values: [
      [...c.skus, ...c.gifts],
      req.promotions,
      c.skus[0],
      !!(req.promotions && req.membership),
      req.customerId,
      growthWindowStart(req.at.toISOString()),
      req.at,
      req.couponCode ?? null,
      !!(req.pointsToRedeem && req.points),
      c.promotionIds,
    ],
  });
  return rows[0];
}

/**
 * A cart's candidates from the cache (none while the merchant is unknown or promotions are off), what
 * they may give away, and those whose counters the engine reads: only a budget, a cap or a limit
 * looks at them (decision 088), so the others' are not read.
 */
function candidatesOf(req: PriceRequest, cache: PromotionCache, merchantId: string | undefined) {
  const skus = req.lines.map((l) => l.sku);
  if (!req.promotions || !merchantId) return { skus, merchantId, promotions: [], gifts: [], promotionIds: [] };
  // Flash sales some tier may enter early are read that far ahead; the engine checks which ones this customer's tier may.
  const earliest = Math.max(0, ...(req.membership?.tiers ?? []).map((t) => t.flashSaleEarlyMinutes ?? 0));
  const found = cache.cartCandidates({
    merchantId,
    skus,
    at: req.at,
    opensBy: new Date(req.at.getTime() + earliest * 60_000),
  });
  const gifts = [...new Set(found.skusNamed)].filter((s) => !skus.includes(s));
  return { skus, merchantId, promotions: found.promotions, gifts, promotionIds: found.limitedIds };
}

/**
 * The reads of a cart with the candidates it needs: one round trip when the process's promotion
 * definitions are current and it has seen the cart's first SKU before. Otherwise the definitions are
 * brought up to the version read and the statement runs again with the merchant now known — its
 * definitions are then at least as new as the first statement's snapshot (decision 082).
 */
async function readCart(db: Db, req: PriceRequest, cache: PromotionCache) {
  const first = req.lines[0]?.sku ?? '';
  let c = candidatesOf(req, cache, cache.merchantOf(first));
  let rows = await cartReads(db, req, c);
  cache.learnMerchants(rows.products);
  const merchantId = req.promotions ? rows.products.find((p) => p.sku === first)?.merchantId : undefined;
  const version = BigInt(rows.version);
  if (req.promotions && (!cache.isCurrent(version) || merchantId !== c.merchantId)) {
    await cache.refresh(db, version);
    c = candidatesOf(req, cache, merchantId);
    rows = await cartReads(db, req, c);
  }
  return { ...rows, promotions: c.promotions };
}

/** The engine's input for one cart as priceCart reads it (apart so the benchmark can time the engine alone). */
export async function quoteInputOf(
  db: Db,
  req: PriceRequest,
  cache = promotionCacheOf(db),
): Promise<QuoteInput | { errors: Problem[] }> {
  const rows = await readCart(db, req, cache);
  const coupon = req.couponCode ? couponOf(rows.coupon, req.couponCode, req.customerId) : null;
  if (coupon && 'path' in coupon) return { errors: [coupon] };
  const tier =
    rows.growth !== null && req.membership ? membershipStanding(req.membership.tiers, rows.growth).tier : null;
  const balance = rows.points ? balanceOf(rows.points, req.at) : null;
  return {
    at: req.at.toISOString(),
    channel: req.channel,
    customer: { id: req.customerId, tier: tier?.name ?? null, benefits: tier },
    lines: req.lines,
    catalog: new Map(rows.products.map((p) => [p.sku, p])),
    promotions: rows.promotions,
    usage: usageOf(rows.counters, rows.mine),
    shipping: rows.rate,
    province: req.province,
    coupon,
    points: balance !== null ? { requested: req.pointsToRedeem!, balance, terms: req.points! } : null,
  };
}

/** What each promotion has given so far, and this customer's flash-sale units: the counters acceptance keeps. */
function usageOf(counters: CartRows['counters'], mine: CartRows['mine']): Map<string, PromotionUsage> {
  const usage = new Map<string, PromotionUsage>(
    counters.map((c) => [c.promotionId, { uses: c.uses, amount: c.amount, units: c.units, customerUnits: 0 }]),
  );
  for (const m of mine) {
    const u = usage.get(m.promotionId) ?? { uses: 0, amount: 0, units: 0, customerUnits: 0 };
    usage.set(m.promotionId, { ...u, customerUnits: m.units });
  }
  return usage;
}
