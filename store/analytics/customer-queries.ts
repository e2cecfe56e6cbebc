import { RFM_THRESHOLDS } from '../../domain';
import type { Db } from '../db';
import { Sql, type Row, type Scope } from './queries';

type Filters = Pick<Scope, 'merchantId' | 'channel' | 'paymentMethod'>;

/** The customer rows of the filters: a merchant's or every merchant's, '*' for an absent channel or method. */
function customerFilters(sql: Sql, f: Filters): string {
  return [
    ...(f.merchantId !== undefined ? [`merchant_id = ${sql.add(f.merchantId)}`] : []),
    `channel = ${sql.add(f.channel ?? '*')}`,
    `payment_method = ${sql.add(f.paymentMethod ?? '*')}`,
  ].join(' AND ');
}

/**
 * Customers whose first order was submitted in [from, to), per local day or hour of that order: how
 * many, how many ordered a second time before `to`, and how many have by now (decision 086). The
 * counts come from the cohort cells (one per first-purchase hour); "before `to`" is "by now" less the
 * cohort's customers whose second order came at or after `to`, read from their rows by second order:
 * none when the period ends now or later, and only those customers when it ended in the past.
 */
export async function repeatCohorts(db: Db, scope: Scope, bucket: 'day' | 'hour'): Promise<Row[]> {
  const sql = new Sql();
  const tz = sql.add(scope.timeZone);
  const format = bucket === 'day' ? `'YYYY-MM-DD'` : `'YYYY-MM-DD"T"HH24:00'`;
  const [from, to] = [sql.add(new Date(scope.from)), sql.add(new Date(scope.to))];
  const label = (col: string) => `to_char(${col} AT TIME ZONE ${tz}, ${format})`;
  const cells = customerFilters(sql, { ...scope, merchantId: scope.merchantId ?? '*' });
  return db.$queryRawUnsafe<Row[]>(
    `WITH cohort AS (
       SELECT ${label('first_hour')} AS bucket, SUM(customers) AS customers, SUM(repeaters) AS repeaters
       FROM analytics_cohort_cells WHERE ${cells} AND first_hour >= ${from} AND first_hour < ${to}
       GROUP BY 1 HAVING SUM(customers) > 0),
     late AS (
       SELECT ${label('first_order_at')} AS bucket, count(*) AS customers
       FROM analytics_customers WHERE ${customerFilters(sql, scope)} AND second_order_at >= ${to}
         AND first_order_at >= ${from} AND first_order_at < ${to}
       GROUP BY 1)
     SELECT c.bucket, c.customers::float8 AS new_customers,
       (c.repeaters - COALESCE(l.customers, 0))::float8 AS repeated_in_period, c.repeaters::float8 AS repeated_to_date
     FROM cohort c LEFT JOIN late l USING (bucket)
     ORDER BY 1`,
    ...sql.params,
  );
}

/**
 * Customers, orders and monetary value per combination of R, F and M scores (at most 125 rows), as of
 * `now`, from the RFM cells: recency in days from the UTC day of the last purchase to today's.
 */
export async function rfmScores(db: Db, filters: Filters, now: number): Promise<Row[]> {
  const sql = new Sql();
  const days = `(${sql.add(new Date(now))}::timestamptz AT TIME ZONE 'UTC')::date - last_day`;
  const r = `5 - (${RFM_THRESHOLDS.recencyDays.map((b) => `(${days} > ${b})::int`).join(' + ')})`;
  const cells = customerFilters(sql, { ...filters, merchantId: filters.merchantId ?? '*' });
  return db.$queryRawUnsafe<Row[]>(
    `SELECT ${r} AS r, f, m, SUM(customers)::float8 AS customers, SUM(orders)::float8 AS orders,
        SUM(monetary)::float8 AS monetary
     FROM analytics_customer_cells WHERE ${cells} AND customers <> 0
     GROUP BY 1, 2, 3`,
    ...sql.params,
  );
}

/**
 * The `limit` SKUs most often bought with each SKU, per merchant, with the counts that support,
 * confidence and lift are made of: orders with both, with the SKU, with the other, and all orders.
 */
export async function boughtTogether(
  db: Db,
  filter: { merchantId?: string; sku?: string; limit: number },
): Promise<Row[]> {
  const sql = new Sql();
  const conds = [
    `p.sku <> p.other_sku`,
    `p.sku <> '*'`,
    `p.n > 0`,
    ...(filter.merchantId !== undefined ? [`p.merchant_id = ${sql.add(filter.merchantId)}`] : []),
    ...(filter.sku !== undefined ? [`p.sku = ${sql.add(filter.sku)}`] : []),
  ];
  const count = (alias: string, sku: string, other: string) =>
    `JOIN analytics_bought_together ${alias} ON ${alias}.merchant_id = p.merchant_id AND ${alias}.sku = ${sku} AND ${alias}.other_sku = ${other}`;
  return db.$queryRawUnsafe<Row[]>(
    `SELECT * FROM (
       SELECT p.merchant_id, p.sku, p.other_sku, p.n::float8 AS both_orders, x.n::float8 AS sku_orders,
         y.n::float8 AS other_orders, t.n::float8 AS all_orders,
         row_number() OVER (PARTITION BY p.merchant_id, p.sku ORDER BY p.n DESC, p.other_sku)::int AS rank
       FROM analytics_bought_together p
       ${count('x', 'p.sku', 'p.sku')} ${count('y', 'p.other_sku', 'p.other_sku')} ${count('t', `'*'`, `'*'`)}
       WHERE ${conds.join(' AND ')}) ranked
     WHERE rank <= ${sql.add(filter.limit)}
     ORDER BY merchant_id, sku, rank`,
    ...sql.params,
  );
}
