import { RFM_THRESHOLDS } from '../../domain';
import type { Prisma } from '../../prisma/generated/client';

/**
 * One row per merchant and customer (docs/analytics.md, decision 073), and per channel and payment
 * method with '*' for any, over the orders that did not end cancelled or rejected: first, second
 * and last submission, orders, and monetary value (Σ total − succeeded refunds, as net sales).
 * First/second/last are not sums, so the rows of a changed order's customer are recomputed from that
 * customer's orders (an index range) instead of adjusted by a difference.
 */
export const CUSTOMER_COLUMNS = [
  'merchant_id',
  'channel',
  'payment_method',
  'customer_id',
  'first_order_at',
  'second_order_at',
  'last_order_at',
  'orders',
  'monetary',
];

/** The customer rows of the orders `o` matching `where`, for every filter combination. */
export function customersSql(where: string): string {
  return `
    SELECT o.merchant_id, COALESCE(o.channel, '*') AS channel, COALESCE(o.payment_method, '*') AS payment_method,
      o.customer_id,
      min(o.created_at) AS first_order_at,
      (array_agg(o.created_at ORDER BY o.created_at))[2] AS second_order_at,
      max(o.created_at) AS last_order_at,
      count(*)::bigint AS orders,
      SUM(o.total - COALESCE(r.refunded, 0))::bigint AS monetary
    FROM orders o
    LEFT JOIN LATERAL (
      SELECT SUM(amount) AS refunded FROM refunds WHERE order_id = o.id AND status = 'succeeded') r ON true
    WHERE o.status NOT IN ('cancelled', 'rejected') AND ${where}
    GROUP BY o.merchant_id, o.customer_id,
      GROUPING SETS ((o.channel, o.payment_method), (o.channel), (o.payment_method), ())`;
}

const cols = CUSTOMER_COLUMNS.join(', ');

/** `1 + Σ (x >= bound)`: a score 1–5 from ascending bounds (constants of the domain, not input). */
const score = (x: string, bounds: readonly number[]) => `1 + ${bounds.map((b) => `(${x} >= ${b})::int`).join(' + ')}`;

/** A table of customer counts kept from the customer rows: a customer's old row out, its new one in. */
export interface Cells {
  table: string;
  key: string[];
  sums: string[];
  /** The cells of some customer rows `c`, counted with `sign` (+1 added, -1 removed). */
  sql(rows: string, sign?: 1 | -1): string;
}

/** Per merchant and '*' (all merchants): a cell counts the customers of every merchant in it. */
const MERCHANTS = `CROSS JOIN LATERAL (VALUES (c.merchant_id), ('*')) m(merchant_id)`;

/**
 * RFM cells: per merchant, filters, UTC day of the last purchase, F and M scores. Recency is left to
 * the read, as it changes with the day the question is asked.
 */
export const RFM_CELLS: Cells = {
  table: 'analytics_customer_cells',
  key: ['merchant_id', 'channel', 'payment_method', 'last_day', 'f', 'm'],
  sums: ['customers', 'orders', 'monetary'],
  sql: (rows, sign = 1) => `SELECT m.merchant_id, c.channel, c.payment_method,
      (c.last_order_at AT TIME ZONE 'UTC')::date AS last_day,
      ${score('c.orders', RFM_THRESHOLDS.orders)} AS f, ${score('c.monetary', RFM_THRESHOLDS.monetary)} AS m,
      ${sign} * count(*) AS customers, ${sign} * SUM(c.orders) AS orders, ${sign} * SUM(c.monetary) AS monetary
    FROM ${rows} c ${MERCHANTS}
    GROUP BY 1, 2, 3, 4, 5, 6`,
};

/**
 * Repeat-purchase cohort cells (decision 086): customers per merchant, filters and UTC hour of the
 * first purchase, and how many of them have bought twice; hours re-bucket exactly in whole-hour zones.
 */
export const COHORT_CELLS: Cells = {
  table: 'analytics_cohort_cells',
  key: ['merchant_id', 'channel', 'payment_method', 'first_hour'],
  sums: ['customers', 'repeaters'],
  sql: (rows, sign = 1) => `SELECT m.merchant_id, c.channel, c.payment_method,
      date_trunc('hour', c.first_order_at, 'UTC') AS first_hour,
      ${sign} * count(*) AS customers, ${sign} * count(*) FILTER (WHERE c.orders >= 2) AS repeaters
    FROM ${rows} c ${MERCHANTS}
    GROUP BY 1, 2, 3, 4`,
};

export const CELLS: readonly Cells[] = [RFM_CELLS, COHORT_CELLS];

const addCells = (c: Cells, from: string, sign: 1 | -1) =>
  `INSERT INTO ${c.table} (${[...c.key, ...c.sums].join(', ')}) ${c.sql(from, sign)}
   ON CONFLICT (${c.key.join(', ')}) DO UPDATE SET
     ${c.sums.map((s) => `${s} = ${c.table}.${s} + EXCLUDED.${s}`).join(', ')}`;

/** Every cell table's move for the rows of CTE `from`, as further CTEs of one statement. */
const moveCells = (from: string, sign: 1 | -1) =>
  CELLS.map((c, i) => `, cells${i} AS (${addCells(c, from, sign)})`).join('');

/**
 * Recomputes the rows of the customers of these orders (in every merchant they bought from), and
 * moves them between RFM cells: the old rows' counts out, the new rows' in.
 */
export async function refreshCustomers(tx: Prisma.TransactionClient, orderIds: string[]): Promise<void> {
  const theirs = `customer_id IN (SELECT customer_id FROM orders WHERE id = ANY($1::text[]))`;
  await tx.$executeRawUnsafe(
    `WITH gone AS (DELETE FROM analytics_customers WHERE ${theirs} RETURNING *) ${moveCells('gone', -1)} SELECT 1`,
    orderIds,
  );
  await tx.$executeRawUnsafe(
    `WITH added AS (INSERT INTO analytics_customers (${cols}) ${customersSql(`o.${theirs}`)} RETURNING *)
     ${moveCells('added', 1)} SELECT 1`,
    orderIds,
  );
}

/** Recomputes every customer row and cell table (the full rebuild). */
export async function rebuildCustomers(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRawUnsafe(`TRUNCATE analytics_customers, ${CELLS.map((c) => c.table).join(', ')}`);
  await tx.$executeRawUnsafe(`INSERT INTO analytics_customers (${cols}) ${customersSql('true')}`);
  for (const c of CELLS)
    await tx.$executeRawUnsafe(
      `INSERT INTO ${c.table} (${[...c.key, ...c.sums].join(', ')}) ${c.sql('analytics_customers')}`,
    );
}
