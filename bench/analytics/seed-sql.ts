// The SQL of the analytics data set (bench/analytics/seed.ts): every row is generated inside
// PostgreSQL (generate_series, multi-row INSERT … SELECT), a batch of orders per statement set, so a
// million orders never cross the wire one by one. Values depend only on the order number (hashes),
// so a run is reproducible.

export const MERCHANTS = 20;
export const SKUS_PER_MERCHANT = 25;
export const CUSTOMERS = 200_000;
export const WAREHOUSES = ['wh-shanghai', 'wh-beijing', 'wh-guangzhou'];
export const COURIERS = ['sf-express', 'yto', 'zto'];

/** A stable pseudo-random number in [0, 1) from an integer and a salt. */
const rnd = (expr: string, salt: number) =>
  `((hashint8((${expr})::bigint * 31 + ${salt}) & 2147483647)::float8 / 2147483648)`;
const pick = (arr: string[], r: string) =>
  `(ARRAY[${arr.map((a) => `'${a}'`).join(',')}])[1 + floor(${r} * ${arr.length})::int]`;
export const merchantOf = (i: number) => (i === 0 ? 'm-demo' : `am-${String(i).padStart(2, '0')}`);
const MERCHANT_IDS = Array.from({ length: MERCHANTS }, (_, i) => merchantOf(i));

/** Platform promotions of the seeded orders' adjustments, with windows relative to now (uplift). */
const PROMOTIONS: Array<[string, string, number, number]> = [
  ['SEED-1111', "Singles' Day", -20, -15],
  ['SEED-MONTH', 'This month', -30, 0],
  ['SEED-SPRING', 'Spring', -240, -210],
];

/** Catalogue: merchants, SKUs (priced 9.90 … 499.00 CNY), stock in every warehouse, customers, promotions. */
export const CATALOGUE = [
  `INSERT INTO merchants (id, name) SELECT unnest(ARRAY[${MERCHANT_IDS.map((m) => `'${m}'`).join(',')}]), 'Seeded store'
     ON CONFLICT (id) DO NOTHING`,
  `INSERT INTO warehouses (id, name, province) VALUES ('wh-shanghai', 'Shanghai', '上海'), ('wh-beijing', 'Beijing', '北京'),
     ('wh-guangzhou', 'Guangzhou', '广东') ON CONFLICT (id) DO NOTHING`,
  `INSERT INTO products (sku, merchant_id, name, price_amount)
     SELECT 'AS-' || m || '-' || k, (ARRAY[${MERCHANT_IDS.map((m) => `'${m}'`).join(',')}])[m + 1], 'Seeded product ' || k,
       990 + (hashint4(m * 100 + k) & 2147483647) % 49000
     FROM generate_series(0, ${MERCHANTS - 1}) m, generate_series(0, ${SKUS_PER_MERCHANT - 1}) k
     ON CONFLICT (sku) DO NOTHING`,
  `INSERT INTO inventory (sku, warehouse_id, on_hand)
     SELECT p.sku, w, (hashint4(length(p.sku) * 7 + ascii(w)) & 2147483647) % 400 + (hashtext(p.sku || w) & 2147483647) % 300
     FROM products p, unnest(ARRAY['wh-shanghai','wh-beijing','wh-guangzhou']) w WHERE p.sku LIKE 'AS-%'
     ON CONFLICT DO NOTHING`,
  `INSERT INTO customers (id, name, phone) SELECT 'ac-' || g, 'Customer ' || g, '138' || lpad(g::text, 8, '0')
     FROM generate_series(0, ${CUSTOMERS - 1}) g ON CONFLICT (id) DO NOTHING`,
  `INSERT INTO promotions (id, code, merchant_id, name, rule, starts_at, ends_at) VALUES ${PROMOTIONS.map(
    ([code, name, from, to]) =>
      `('${code}', '${code}', NULL, '${name.replace(/'/g, "''")}', '{"kind": "amount_off", "amount": 1000, "per": "order"}',
        now() + interval '${from} days', now() + interval '${to} days')`,
  ).join(', ')} ON CONFLICT DO NOTHING`,
];

/** ~15 % of the orders that went ahead carry a promotion's adjustment (¥5–20 off) and ~5 % points. */
const SEED_ADJUSTMENTS = `CASE WHEN ${rnd('g', 20)} < 0.2 THEN jsonb_build_object('adjustments', jsonb_build_array(
    jsonb_build_object('source', CASE WHEN ${rnd('g', 20)} < 0.15 THEN 'promotion' ELSE 'points' END,
      'code', CASE WHEN ${rnd('g', 20)} < 0.15 THEN ${pick(
        PROMOTIONS.map(([code]) => code),
        rnd('g', 21),
      )} ELSE 'points' END,
      'lineNo', 1, 'amount', 500 + floor(${rnd('g', 22)} * 1500)::int)))
  ELSE '{}'::jsonb END`;

/**
 * One batch of orders [$1, $2) over the 365 days before $3: more orders in the evening, a growing
 * trend, and a Singles' Day (11.11) peak. Status mix: ~72 % completed, 8 % cancelled, 2 % rejected,
 * the rest on the way.
 */
export const ORDERS = `
INSERT INTO orders (id, merchant_id, customer_id, channel, status, payment_method, currency, subtotal, total, snapshot, version, created_at, updated_at)
SELECT 'so-' || g,
  (ARRAY[${MERCHANT_IDS.map((m) => `'${m}'`).join(',')}])[1 + floor(power(${rnd('g', 1)}, 1.6) * ${MERCHANTS})::int],
  'ac-' || floor(power(${rnd('g', 2)}, 2) * ${CUSTOMERS})::int,
  ${pick(['app', 'app', 'mini_program', 'web', 'live'], rnd('g', 3))},
  CASE WHEN s < 0.72 THEN 'completed' WHEN s < 0.80 THEN 'cancelled' WHEN s < 0.82 THEN 'rejected'
       WHEN s < 0.90 THEN 'delivered' WHEN s < 0.95 THEN 'shipped' ELSE 'fulfilling' END,
  ${pick(['alipay', 'alipay', 'wechat_pay', 'wechat_pay', 'card', 'cod'], rnd('g', 4))},
  'CNY', 0, 0,
  CASE WHEN s >= 0.72 AND s < 0.80 THEN jsonb_build_object('cancellation', jsonb_build_object('reason',
         ${pick(['customer changed mind', 'payment window ended without payment', 'merchant SLA expired', 'out of stock'], rnd('g', 5))}, 'actor', 'customer'))
       WHEN s >= 0.80 AND s < 0.82 THEN jsonb_build_object('rejection', jsonb_build_object('reason',
         ${pick(['risk: amount over limit', 'merchant rejected: address not served'], rnd('g', 6))}))
       ELSE ${SEED_ADJUSTMENTS} END,
  1, at, at
FROM (
  SELECT g, ${rnd('g', 7)} AS s,
    CASE WHEN ${rnd('g', 8)} < 0.03 THEN make_timestamptz(2026, 11, 10, 16, 0, 0, 'UTC') + ${rnd('g', 9)} * interval '1 day'
         ELSE $3::timestamptz - interval '365 days' + sqrt(${rnd('g', 9)}) * interval '365 days'
           + (${rnd('g', 10)} - 0.5) * interval '6 hours' END AS at
  FROM generate_series($1::bigint, $2::bigint - 1) g) x
WHERE at < $3::timestamptz`;

/** 1–3 lines per order from its merchant's SKUs, the ledger following the status; a few returns. */
export const LINES = `
INSERT INTO order_lines (order_id, line_no, sku, name, unit_price, quantity, allocated, shipped, delivered, returned, refunded)
SELECT o.id, n, p.sku, p.name, p.price_amount, q,
  CASE WHEN o.status IN ('cancelled', 'rejected') THEN 0 ELSE q END,
  CASE WHEN o.status IN ('shipped', 'delivered', 'completed') THEN q ELSE 0 END,
  CASE WHEN o.status IN ('delivered', 'completed') THEN q ELSE 0 END,
  CASE WHEN o.status = 'completed' AND ${rnd('g * 4 + n', 11)} < 0.03 THEN 1 ELSE 0 END,
  CASE WHEN o.status = 'completed' AND ${rnd('g * 4 + n', 11)} < 0.03 THEN 1 ELSE 0 END
FROM (SELECT id, merchant_id, status, substr(id, 4)::bigint AS g FROM orders
      WHERE substr(id, 1, 3) = 'so-' AND substr(id, 4)::bigint >= $1 AND substr(id, 4)::bigint < $2) o
CROSS JOIN LATERAL generate_series(1, 1 + floor(${rnd('o.g', 12)} * 3)::int) n
CROSS JOIN LATERAL (SELECT 1 + floor(${rnd('o.g * 4 + n', 13)} * 3)::int AS q) qq
JOIN products p ON p.sku = 'AS-' || (CASE WHEN o.merchant_id = 'm-demo' THEN 0 ELSE substr(o.merchant_id, 4)::int END)
  || '-' || floor(power(${rnd('o.g * 4 + n', 14)}, 1.5) * ${SKUS_PER_MERCHANT})::int
ON CONFLICT DO NOTHING`;

const BATCH = `substr(o.id, 1, 3) = 'so-' AND substr(o.id, 4)::bigint >= $1 AND substr(o.id, 4)::bigint < $2`;

/** Totals from the lines; payments, refunds, shipments, tracking and after-sales for the batch. */
export const DEPENDENTS = [
  `UPDATE orders o SET subtotal = t.s, total = t.s, updated_at = o.created_at FROM (
     SELECT order_id, SUM(unit_price * quantity)::int AS s FROM order_lines ol JOIN orders o ON o.id = ol.order_id
     WHERE ${BATCH} GROUP BY order_id) t WHERE t.order_id = o.id`,
  `INSERT INTO payments (id, order_id, method, status, amount, captured_amount, currency, created_at)
   SELECT 'pay-' || o.id, o.id, o.payment_method,
     CASE WHEN o.status IN ('cancelled', 'rejected') AND ${rnd('substr(o.id, 4)::bigint', 15)} < 0.5 THEN 'cancelled' ELSE 'captured' END,
     o.total,
     CASE WHEN o.status IN ('cancelled', 'rejected') AND ${rnd('substr(o.id, 4)::bigint', 15)} < 0.5 THEN 0 ELSE o.total END,
     'CNY', o.created_at + interval '2 minutes'
   FROM orders o WHERE ${BATCH}`,
  `INSERT INTO refunds (id, order_id, payment_id, amount, reason, status, created_at)
   SELECT 'rf-' || o.id, o.id, 'pay-' || o.id,
     CASE WHEN o.status IN ('cancelled', 'rejected') THEN o.total ELSE r.amount END,
     CASE WHEN o.status IN ('cancelled', 'rejected') THEN 'cancelled' ELSE 'return' END, 'succeeded', o.created_at + interval '3 days'
   FROM orders o JOIN payments p ON p.id = 'pay-' || o.id AND p.captured_amount > 0
   LEFT JOIN LATERAL (SELECT SUM(unit_price * refunded)::int AS amount FROM order_lines WHERE order_id = o.id) r ON true
   WHERE ${BATCH} AND (o.status IN ('cancelled', 'rejected') OR r.amount > 0)`,
  `INSERT INTO shipments (id, order_id, seq, warehouse_id, courier, tracking_number, status, lines, delivery_attempts, created_at, updated_at)
   SELECT 'shipment-' || o.id || '-1', o.id, 1,
     ${pick(WAREHOUSES, rnd('substr(o.id, 4)::bigint', 16))}, ${pick(COURIERS, rnd('substr(o.id, 4)::bigint', 17))},
     'T' || substr(o.id, 4), CASE WHEN o.status = 'shipped' THEN 'in_transit' ELSE 'delivered' END,
     (SELECT jsonb_agg(jsonb_build_object('lineNo', line_no, 'sku', sku, 'quantity', quantity)) FROM order_lines WHERE order_id = o.id),
     CASE WHEN ${rnd('substr(o.id, 4)::bigint', 18)} < 0.08 THEN 1 ELSE 0 END,
     o.created_at + interval '3 hours', o.created_at + interval '3 hours'
   FROM orders o WHERE ${BATCH} AND o.status IN ('shipped', 'delivered', 'completed')`,
  `INSERT INTO tracking_events (shipment_id, event_id, type, occurred_at)
   SELECT s.id, e.type, e.type, e.at FROM shipments s JOIN orders o ON o.id = s.order_id
   CROSS JOIN LATERAL (VALUES
     ('picked_up', s.created_at + (1 + ${rnd('substr(o.id, 4)::bigint', 19)} * 20) * interval '1 hour'),
     ('delivered', s.created_at + (24 + ${rnd('substr(o.id, 4)::bigint', 20)} * 72) * interval '1 hour')) e(type, at)
   WHERE ${BATCH} AND (e.type = 'picked_up' OR s.status = 'delivered')`,
  `INSERT INTO after_sales_requests (id, order_id, merchant_id, customer_id, type, status, snapshot, created_at, updated_at)
   SELECT 'asr-' || o.id, o.id, o.merchant_id, o.customer_id, CASE WHEN l.returned > 0 THEN 'return' ELSE 'exchange' END, 'completed',
     jsonb_build_object('reason', ${pick(['defective', 'damaged_in_transit', 'wrong_item', 'no_reason', 'not_as_described'], rnd('substr(o.id, 4)::bigint', 21))},
       'lines', jsonb_build_array(jsonb_build_object('lineNo', l.line_no, 'sku', l.sku, 'quantity', 1))),
     o.created_at + interval '5 days', o.created_at + interval '5 days'
   FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.line_no = 1
   WHERE ${BATCH} AND o.status = 'completed' AND (l.returned > 0 OR ${rnd('substr(o.id, 4)::bigint', 22)} < 0.015)`,
];
