// The SQL of the pricing benchmark's data set (bench/pricing/bench.ts): generated inside PostgreSQL
// with generate_series, values from hashes of the row number, so every run seeds the same rows.
// 20 merchants × 50 SKUs, 10,000 customers with points and growth, 1,000 promotions in force (about 5 %
// the platform's, the rest of merchants; most scoped to a few SKUs, so most do not touch a given cart) plus
// 200 that have ended, 200 coupon templates and 100,000 issued coupons (10 per customer).

export const MERCHANTS = 20;
export const SKUS_PER_MERCHANT = 50;
export const CUSTOMERS = 10_000;
export const ACTIVE_PROMOTIONS = 1_000;
export const ENDED_PROMOTIONS = 200;
export const COUPONS = 100_000;
export const TEMPLATES_PER_MERCHANT = 10;

export const merchantOf = (m: number) => `pm-${String(m).padStart(2, '0')}`;
export const skuOf = (m: number, k: number) => `PB-${m}-${k}`;
export const customerOf = (c: number) => `pc-${c}`;

/** A stable pseudo-random integer in [0, n) from an expression and a salt. */
const rnd = (expr: string, salt: number, n: number) =>
  `((hashint8((${expr})::bigint * 31 + ${salt}) & 2147483647) % ${n})`;
/** A SKU of merchant `m` (an SQL expression) picked by `salt`. */
const skuSql = (m: string, g: string, salt: number) => `'PB-' || ${m} || '-' || ${rnd(g, salt, SKUS_PER_MERCHANT)}`;
const skusSql = (m: string, g: string, salt: number, n: number) =>
  `jsonb_build_array(${Array.from({ length: n }, (_, i) => skuSql(m, g, salt + i)).join(', ')})`;

export const CATALOGUE = [
  `INSERT INTO merchants (id, name) SELECT 'pm-' || lpad(m::text, 2, '0'), 'Pricing bench store ' || m
     FROM generate_series(0, ${MERCHANTS - 1}) m`,
  `INSERT INTO products (sku, merchant_id, name, price_amount)
     SELECT 'PB-' || m || '-' || k, 'pm-' || lpad(m::text, 2, '0'), 'Bench product ' || k, 990 + ${rnd('m * 100 + k', 1, 49000)}
     FROM generate_series(0, ${MERCHANTS - 1}) m, generate_series(0, ${SKUS_PER_MERCHANT - 1}) k`,
  `INSERT INTO shipping_rates (merchant_id, default_fee, by_province, free_above)
     SELECT 'pm-' || lpad(m::text, 2, '0'), 800, '{"新疆": 2000, "西藏": 2500}'::jsonb, 9900
     FROM generate_series(0, ${MERCHANTS - 1}) m`,
  `INSERT INTO customers (id, name, phone) SELECT 'pc-' || c, 'Bench customer ' || c, '139' || lpad(c::text, 8, '0')
     FROM generate_series(0, ${CUSTOMERS - 1}) c`,
  // Points: two earned lots per customer within the year (one nearly expired), one spend.
  `INSERT INTO points_entries (id, customer_id, delta, reason, created_at)
     SELECT 'pb-pts-' || c || '-' || n, 'pc-' || c, CASE WHEN n = 2 THEN -100 ELSE 500 + ${rnd('c * 3 + n', 2, 5000)} END,
       CASE WHEN n = 2 THEN 'redeemed' ELSE 'earned' END, now() - (n * 150 + ${rnd('c', 3, 30)}) * interval '1 day'
     FROM generate_series(0, ${CUSTOMERS - 1}) c, generate_series(0, 2) n`,
  // Growth: 0–4 completed orders per customer in the last year, so every tier has members.
  `INSERT INTO membership_orders (order_id, customer_id, completed_at, paid, version, tier, points_multiplier, base_points, bonus_points)
     SELECT 'pb-mo-' || c || '-' || n, 'pc-' || c, now() - ${rnd('c * 5 + n', 4, 360)} * interval '1 day',
       5000 + ${rnd('c * 5 + n', 5, 300000)}, 1, 'member', 1, 0, 0
     FROM generate_series(0, ${CUSTOMERS - 1}) c, generate_series(0, 3) n WHERE n < ${rnd('c', 6, 5)}`,
];

/**
 * One promotion per row number: merchant g % 20 (the platform's for a hashed 5 %), kind by g / 20 % 10,
 * scoped to 1–3 SKUs for most kinds; 5 % exclusive; priorities 0–99; ended ones a week ago.
 */
const RULE = `CASE (g / ${MERCHANTS}) % 10
  WHEN 0 THEN jsonb_build_object('kind', 'spend_save', 'scope', '{}'::jsonb, 'perEvery', false,
    'tiers', jsonb_build_array(jsonb_build_object('threshold', 19900, 'off', 2000), jsonb_build_object('threshold', 39900, 'off', 5000)))
  WHEN 1 THEN jsonb_build_object('kind', 'spend_save', 'scope', jsonb_build_object('skus', ${skusSql('m', 'g', 10, 3)}),
    'perEvery', true, 'tiers', jsonb_build_array(jsonb_build_object('threshold', 10000, 'off', 1000)), 'maxOff', 5000)
  WHEN 2 THEN jsonb_build_object('kind', 'percent_off', 'scope', jsonb_build_object('skus', ${skusSql('m', 'g', 20, 2)}), 'percent', 5 + g % 20)
  WHEN 3 THEN jsonb_build_object('kind', 'percent_off', 'scope', '{}'::jsonb, 'percent', 3 + g % 7, 'maxOff', 3000)
  WHEN 4 THEN jsonb_build_object('kind', 'amount_off', 'scope', jsonb_build_object('skus', ${skusSql('m', 'g', 30, 1)}), 'amount', 300, 'per', 'unit')
  WHEN 5 THEN jsonb_build_object('kind', 'amount_off', 'scope', '{}'::jsonb, 'amount', 500 + g % 1000, 'per', 'order')
  WHEN 6 THEN jsonb_build_object('kind', 'buy_get', 'scope', jsonb_build_object('skus', ${skusSql('m', 'g', 40, 1)}),
    'buyQuantity', 2, 'getSku', ${skuSql('m', 'g', 41)}, 'getQuantity', 1)
  WHEN 7 THEN jsonb_build_object('kind', 'flash_sale', 'sku', ${skuSql('m', 'g', 50)}, 'price', 500, 'stockCap', 1000000,
    'perCustomerLimit', 2, 'earlyAccessTiers', jsonb_build_array('gold', 'platinum', 'diamond'))
  WHEN 8 THEN jsonb_build_object('kind', 'member_discount', 'scope', '{}'::jsonb, 'percentByTier', '{}'::jsonb)
  ELSE jsonb_build_object('kind', 'gift', 'scope', jsonb_build_object('skus', ${skusSql('m', 'g', 60, 2)}),
    'threshold', 10000, 'giftSku', ${skuSql('m', 'g', 61)}, 'quantity', 1)
END`;

/** Kinds the platform runs (no goods given away: gifts, buy-X-get-Y and flash sales are a merchant's). */
const PLATFORM_RULE = `CASE g % 4
  WHEN 0 THEN jsonb_build_object('kind', 'spend_save', 'scope', '{}'::jsonb, 'perEvery', true,
    'tiers', jsonb_build_array(jsonb_build_object('threshold', 30000, 'off', 3000)))
  WHEN 1 THEN jsonb_build_object('kind', 'percent_off', 'scope', '{}'::jsonb, 'percent', 2, 'maxOff', 2000)
  WHEN 2 THEN jsonb_build_object('kind', 'member_discount', 'scope', '{}'::jsonb, 'percentByTier', '{"diamond": 12}'::jsonb)
  ELSE jsonb_build_object('kind', 'free_shipping', 'threshold', 5000)
END`;

export const PROMOTIONS = `
INSERT INTO promotions (id, code, merchant_id, name, rule, starts_at, ends_at, priority, exclusive, channels, customer_tiers, budget_uses)
SELECT 'pb-promo-' || g, 'PB-PROMO-' || g, CASE WHEN platform THEN NULL ELSE 'pm-' || lpad(m::text, 2, '0') END,
  'Bench promotion ' || g, CASE WHEN platform THEN ${PLATFORM_RULE} ELSE ${RULE} END,
  CASE WHEN ended THEN now() - interval '30 days' ELSE now() - interval '1 day' END,
  CASE WHEN ended THEN now() - interval '7 days' ELSE now() + interval '30 days' END,
  ${rnd('g', 7, 100)}, ${rnd('g', 8, 20)} = 0,
  CASE WHEN g % 13 = 0 THEN '["app", "mini_program"]'::jsonb END,
  CASE WHEN g % 17 = 0 THEN '["gold", "platinum", "diamond"]'::jsonb END,
  CASE WHEN g % 11 = 0 THEN 1000000 END
FROM (SELECT g, g % ${MERCHANTS} AS m, ${rnd('g', 9, 20)} = 0 AS platform, g >= ${ACTIVE_PROMOTIONS} AS ended
      FROM generate_series(0, ${ACTIVE_PROMOTIONS + ENDED_PROMOTIONS - 1}) g) x`;

/** Templates t: merchant t / 10 (t < 190, amount or percent), the platform's for the last 10 (amount). */
export const TEMPLATES = `
INSERT INTO coupon_templates (id, merchant_id, name, kind, amount, percent, max_off, min_spend, starts_at, ends_at)
SELECT 'pb-tpl-' || t, CASE WHEN t < ${MERCHANTS - 1} * ${TEMPLATES_PER_MERCHANT} THEN 'pm-' || lpad((t / ${TEMPLATES_PER_MERCHANT})::text, 2, '0') END,
  'Bench coupon ' || t, CASE WHEN t % 3 = 1 THEN 'percent' ELSE 'amount' END,
  CASE WHEN t % 3 = 1 THEN NULL ELSE 300 + (t % 5) * 100 END, CASE WHEN t % 3 = 1 THEN 10 END,
  CASE WHEN t % 3 = 1 THEN 2000 END, 0, now() - interval '10 days', now() + interval '60 days'
FROM generate_series(0, ${MERCHANTS * TEMPLATES_PER_MERCHANT - 1}) t`;

/** Coupon g: customer g % 10,000, the k-th (g / 10,000) of 10 distinct templates; one in ten redeemed. Its
 * amount is what issuance stores (the template's amount or cap); pricing reads the template. */
export const ISSUED_COUPONS = `
INSERT INTO coupons (code, customer_id, amount, currency, status, template_id, created_at)
SELECT 'PBC-' || g, 'pc-' || (g % ${CUSTOMERS}), 2000, 'CNY', CASE WHEN g % 10 = 3 THEN 'redeemed' ELSE 'issued' END,
  'pb-tpl-' || (((g % ${CUSTOMERS}) * 7 + (g / ${CUSTOMERS}) * 20) % ${MERCHANTS * TEMPLATES_PER_MERCHANT}),
  now() - interval '5 days'
FROM generate_series(0, ${COUPONS - 1}) g`;
