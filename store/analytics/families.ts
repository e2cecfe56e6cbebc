/**
 * The analytics rollups (docs/analytics.md), one "family" per kind of fact. Each family says how to
 * derive its facts for some orders from the read model (`source`), and which columns its rollup
 * groups and sums. Everything else (incremental refresh, full recompute, queries) is generic SQL
 * built from these definitions, so a fact's definition lives in exactly one place.
 *
 * Every fact is attributed to the UTC hour its order was submitted in (`hour`): a late refund or a
 * return changes the numbers of the hour the order was placed, so rates (refunded units / sold units)
 * always divide a subset by its own cohort.
 */
import { DEFAULT_TIME_ZONE } from '../../domain';

/** The rollups' time grains: UTC hours, days and months; local days of a zone (`day:<zone>`) where kept. */
export type Grain = 'hour' | 'day' | 'month' | `day:${string}`;

export interface Family {
  name: string;
  facts: string;
  rollup: string;
  /** Identity of a fact beyond its order_id. */
  keys: string[];
  /** Grouping columns beyond the three filters (merchant, channel, payment method). */
  dims: string[];
  /** Summed columns; `n` (facts counted) is always first. */
  measures: string[];
  /**
   * Hourly rows for every filter combination ('*' included), not only the order's own: families read
   * as time series (sales) need them; the others read hourly rows only at a period's edges.
   */
  hourCube?: boolean;
  /**
   * Monthly rows too (UTC months, filter cube as daily): families keyed by SKU sum a row per SKU and
   * bucket, so a year reads 12 months and the edge days instead of 365 days (decision 085).
   */
  monthGrain?: boolean;
  /**
   * Local days of these zones too (filter cube as daily): a series by day in such a zone reads one row
   * per day instead of 24 hourly ones (decision 087). Zone names are constants, never input.
   */
  localDayZones?: readonly string[];
  /** No '*' merchant rows where a dimension (the SKU) already belongs to one merchant: they would repeat the merchant's. */
  merchantCube: boolean;
  /** One row per merchant and dims over all time: no hours, days or filter cube (products bought together). */
  timeless?: boolean;
  /** SELECT order_id, keys, hour, merchant_id, channel, payment_method, dims, measures for the orders `o` matching `where`. */
  source(where: string): string;
}

/** The order's filter columns and its UTC submission hour, shared by every family. */
const ORDER_COLUMNS = `date_trunc('hour', o.created_at, 'UTC') AS hour, o.merchant_id, o.channel, o.payment_method`;

const sales: Family = {
  name: 'sales',
  facts: 'analytics_order_facts',
  rollup: 'analytics_sales',
  keys: [],
  dims: [],
  measures: [
    'n',
    'units',
    'gmv',
    'refunded',
    'net_sales',
    'paid',
    'shipped',
    'delivered',
    'completed',
    'cancelled',
    'rejected',
  ],
  hourCube: true,
  merchantCube: true,
  localDayZones: [DEFAULT_TIME_ZONE],
  source: (where) => `
    SELECT o.id AS order_id, ${ORDER_COLUMNS},
      1 AS n,
      COALESCE(l.units, 0) AS units,
      o.total AS gmv,
      COALESCE(r.refunded, 0) AS refunded,
      CASE WHEN o.status IN ('cancelled', 'rejected') THEN 0 ELSE o.total - COALESCE(r.refunded, 0) END AS net_sales,
      COALESCE(p.paid, false)::int AS paid,
      (COALESCE(l.shipped, 0) > 0)::int AS shipped,
      (COALESCE(l.delivered, 0) > 0)::int AS delivered,
      (o.status = 'completed')::int AS completed,
      (o.status = 'cancelled')::int AS cancelled,
      (o.status = 'rejected')::int AS rejected
    FROM orders o
    LEFT JOIN LATERAL (
      SELECT SUM(quantity) FILTER (WHERE NOT gift) AS units, SUM(shipped) AS shipped, SUM(delivered) AS delivered
      FROM order_lines WHERE order_id = o.id) l ON true
    LEFT JOIN LATERAL (
      SELECT SUM(amount) AS refunded FROM refunds WHERE order_id = o.id AND status = 'succeeded') r ON true
    LEFT JOIN LATERAL (
      SELECT bool_or(status IN ('authorized', 'capturing', 'captured', 'voided') OR captured_amount > 0) AS paid
      FROM payments WHERE order_id = o.id) p ON true
    WHERE ${where}`,
};

/** Why orders ended early: one fact per cancelled or rejected order. */
const outcomes: Family = {
  name: 'outcomes',
  facts: 'analytics_outcome_facts',
  rollup: 'analytics_outcomes',
  keys: [],
  dims: ['outcome', 'reason'],
  measures: ['n', 'gmv'],
  merchantCube: true,
  source: (where) => `
    SELECT o.id AS order_id, ${ORDER_COLUMNS},
      o.status AS outcome,
      left(COALESCE(o.snapshot->'cancellation'->>'reason', o.snapshot->'rejection'->>'reason', 'unknown'), 120) AS reason,
      1 AS n, o.total AS gmv
    FROM orders o
    WHERE o.status IN ('cancelled', 'rejected') AND ${where}`,
};

/** One fact per sold (non-gift) order line. */
const products: Family = {
  name: 'products',
  facts: 'analytics_line_facts',
  rollup: 'analytics_products',
  keys: ['line_no'],
  dims: ['sku'],
  measures: ['n', 'units', 'revenue', 'refunded_units', 'returned_units'],
  merchantCube: false,
  monthGrain: true,
  source: (where) => `
    SELECT o.id AS order_id, ol.line_no, ${ORDER_COLUMNS}, ol.sku,
      1 AS n, ol.quantity AS units, ol.unit_price::bigint * ol.quantity - ol.discount AS revenue,
      ol.refunded AS refunded_units, ol.returned AS returned_units
    FROM orders o JOIN order_lines ol ON ol.order_id = o.id
    WHERE NOT ol.gift AND ${where}`,
};

/** One fact per line of an after-sales request, with the warehouse and courier that delivered the line. */
const afterSales: Family = {
  name: 'after_sales',
  facts: 'analytics_after_sales_facts',
  rollup: 'analytics_after_sales',
  keys: ['request_id', 'item'],
  dims: ['sku', 'type', 'reason', 'warehouse_id', 'courier'],
  measures: ['n', 'units'],
  merchantCube: false,
  monthGrain: true,
  source: (where) => `
    SELECT o.id AS order_id, a.id AS request_id, e.item::int AS item, ${ORDER_COLUMNS},
      li->>'sku' AS sku, a.type, COALESCE(a.snapshot->>'reason', 'unknown') AS reason,
      COALESCE(sh.warehouse_id, 'unknown') AS warehouse_id, COALESCE(sh.courier, 'unknown') AS courier,
      1 AS n, (li->>'quantity')::int AS units
    FROM orders o
    JOIN after_sales_requests a ON a.order_id = o.id
    CROSS JOIN LATERAL jsonb_array_elements(COALESCE(a.snapshot->'lines', '[]'::jsonb)) WITH ORDINALITY e(li, item)
    LEFT JOIN LATERAL (
      SELECT s.warehouse_id, s.courier FROM shipments s
      WHERE s.order_id = o.id AND s.id NOT LIKE 'after-sales-%'
        AND s.lines @> jsonb_build_array(jsonb_build_object('lineNo', (li->>'lineNo')::int))
      ORDER BY s.seq LIMIT 1) sh ON true
    WHERE ${where}`,
};

/** One fact per outbound shipment of an order (after-sales parcels are not the courier's delivery of the sale). */
const couriers: Family = {
  name: 'couriers',
  facts: 'analytics_shipment_facts',
  rollup: 'analytics_couriers',
  keys: ['shipment_id'],
  dims: ['courier', 'warehouse_id'],
  measures: ['n', 'picked_up', 'pickup_seconds', 'delivered', 'delivery_seconds', 'failed_attempts', 'returned'],
  merchantCube: true,
  source: (where) => `
    SELECT o.id AS order_id, s.id AS shipment_id, ${ORDER_COLUMNS},
      COALESCE(s.courier, 'unknown') AS courier, s.warehouse_id,
      1 AS n,
      (pu.at IS NOT NULL)::int AS picked_up,
      COALESCE(floor(extract(epoch FROM pu.at - s.created_at)), 0)::bigint AS pickup_seconds,
      (dl.at IS NOT NULL)::int AS delivered,
      COALESCE(floor(extract(epoch FROM dl.at - COALESCE(pu.at, s.created_at))), 0)::bigint AS delivery_seconds,
      s.delivery_attempts AS failed_attempts,
      (s.status = 'returned_to_sender')::int AS returned
    FROM orders o
    JOIN shipments s ON s.order_id = o.id AND s.id NOT LIKE 'after-sales-%' AND s.status <> 'cancelled'
    LEFT JOIN LATERAL (SELECT min(occurred_at) AS at FROM tracking_events
      WHERE shipment_id = s.id AND type = 'picked_up') pu ON true
    LEFT JOIN LATERAL (SELECT min(occurred_at) AS at FROM tracking_events
      WHERE shipment_id = s.id AND type = 'delivered') dl ON true
    WHERE ${where}`,
};

/** Units leaving each warehouse per SKU: the demand that stock cover divides by. */
const shipped: Family = {
  name: 'shipped',
  facts: 'analytics_shipped_facts',
  rollup: 'analytics_shipped',
  keys: ['shipment_id', 'item'],
  dims: ['sku', 'warehouse_id'],
  measures: ['n', 'units'],
  merchantCube: false,
  source: (where) => `
    SELECT o.id AS order_id, s.id AS shipment_id, e.item::int AS item, ${ORDER_COLUMNS},
      li->>'sku' AS sku, s.warehouse_id, 1 AS n, (li->>'quantity')::int AS units
    FROM orders o
    JOIN shipments s ON s.order_id = o.id AND s.id NOT LIKE 'after-sales-%' AND s.status <> 'cancelled'
    CROSS JOIN LATERAL jsonb_array_elements(s.lines) WITH ORDINALITY e(li, item)
    WHERE ${where}`,
};

/** Goods SKUs of an order, once each, and '*' (the order itself). */
const BASKET = `(SELECT sku FROM order_lines WHERE order_id = o.id AND NOT gift UNION SELECT '*')`;

/**
 * Products bought together: for each order that did not end cancelled or rejected, one fact per
 * ordered pair of its SKUs (both directions), per SKU with itself (orders containing it), and
 * ('*', '*') for the order: support, confidence and lift are ratios of these counts.
 */
const basket: Family = {
  name: 'basket',
  facts: 'analytics_basket_facts',
  rollup: 'analytics_bought_together',
  keys: ['sku', 'other_sku'],
  dims: ['sku', 'other_sku'],
  measures: ['n'],
  merchantCube: false,
  timeless: true,
  source: (where) => `
    SELECT o.id AS order_id, ${ORDER_COLUMNS}, a.sku, b.sku AS other_sku, 1 AS n
    FROM orders o CROSS JOIN LATERAL ${BASKET} a CROSS JOIN LATERAL ${BASKET} b
    WHERE o.status NOT IN ('cancelled', 'rejected') AND (a.sku = b.sku OR (a.sku <> '*' AND b.sku <> '*'))
      AND ${where}`,
};

/**
 * What each order was given, per source (promotion, shipping, coupon, points) and code, from the
 * price adjustments it was accepted with (docs/pricing.md), for orders that did not end cancelled or
 * rejected (those gave coupon, points and promotion counts back). Coupons count under their
 * template ('compensation' for after-sales coupons): a coupon code names one customer's coupon.
 */
const promotions: Family = {
  name: 'promotions',
  facts: 'analytics_promotion_facts',
  rollup: 'analytics_promotions',
  keys: ['source', 'code'],
  dims: ['source', 'code'],
  measures: ['n', 'amount', 'units', 'gmv'],
  merchantCube: true,
  source: (where) => `
    SELECT o.id AS order_id, ${ORDER_COLUMNS}, g.source, g.code,
      1 AS n, g.amount, g.units, o.total AS gmv
    FROM orders o
    CROSS JOIN LATERAL (
      SELECT a->>'source' AS source,
        CASE WHEN a->>'source' = 'coupon' THEN COALESCE(c.template_id, 'compensation') ELSE a->>'code' END AS code,
        SUM((a->>'amount')::bigint) AS amount, SUM(COALESCE((a->>'units')::bigint, 0)) AS units
      FROM jsonb_array_elements(COALESCE(o.snapshot->'adjustments', '[]'::jsonb)) a
      LEFT JOIN coupons c ON a->>'source' = 'coupon' AND c.code = a->>'code'
      GROUP BY 1, 2) g
    WHERE o.status NOT IN ('cancelled', 'rejected') AND ${where}`,
};

export const FAMILIES = { sales, outcomes, products, afterSales, couriers, shipped, basket, promotions } as const;
export type FamilyName = keyof typeof FAMILIES;
export const ALL_FAMILIES: readonly Family[] = Object.values(FAMILIES);
