import { localDaySpan, splitDays, splitPeriod, type Bucket } from '../../domain';
import type { Db } from '../db';
import { FAMILIES, type Family, type Grain } from './families';

/** What every analytics read is about: a half-open UTC period [from, to) on whole hours, and the filters. */
export interface Scope {
  from: number;
  to: number;
  timeZone: string;
  merchantId?: string;
  channel?: string;
  paymentMethod?: string;
}

export type Row = Record<string, string | number | null>;

/** Builds a parameterised WHERE clause; values never enter the SQL text. */
export class Sql {
  readonly params: unknown[] = [];
  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/**
 * Which rollup rows answer the filters at a grain: a given value picks its rows; an absent filter
 * picks the '*' rows where the grain keeps them, else every row (each counts a fact once);
 * `split` picks every real value instead.
 */
function filters(sql: Sql, f: Family, grain: Grain, scope: Scope, split?: string): string {
  const cubed = grain !== 'hour' || f.hourCube === true;
  const given: Array<[string, string | undefined, boolean]> = [
    ['merchant_id', scope.merchantId, cubed && f.merchantCube],
    ['channel', scope.channel, cubed],
    ['payment_method', scope.paymentMethod, cubed],
  ];
  const conds = given.map(([col, v, starred]) =>
    v !== undefined ? `${col} = ${sql.add(v)}` : col === split ? `${col} <> '*'` : starred ? `${col} = '*'` : 'true',
  );
  return [`grain = '${grain}'`, ...conds].join(' AND ');
}

/**
 * The rows of the period [from, to): whole UTC months from the monthly rows where the family keeps
 * them, the other whole UTC days from the daily rows, the edges from the hourly ones.
 */
function where(sql: Sql, f: Family, scope: Scope, split?: string): string {
  const { days, hours } = splitPeriod(scope.from, scope.to);
  const cut: Array<[Grain, number, number]> = hours.map(([a, b]) => ['hour', a, b]);
  if (days && f.monthGrain) {
    const { months, days: edges } = splitDays(days[0], days[1]);
    if (months) cut.push(['month', ...months]);
    cut.push(...edges.map(([a, b]): [Grain, number, number] => ['day', a, b]));
  } else if (days) cut.push(['day', ...days]);
  const range = (a: number, b: number) => `bucket >= ${sql.add(new Date(a))} AND bucket < ${sql.add(new Date(b))}`;
  return `(${cut.map(([grain, a, b]) => `(${filters(sql, f, grain, scope, split)} AND ${range(a, b)})`).join(' OR ')})`;
}

const sums = (f: Family) => f.measures.map((m) => `SUM(${m})::float8 AS ${m}`).join(', ');

/**
 * A family's sums over the whole period, grouped by some of its columns, without groups that count
 * nothing. `top`: only the groups ranked within `limit` by these sums, descending, ties at the limit
 * included, so the caller's own ordering of them is the same as of every group, without shipping
 * every group (root causes: ~20,000 in a year).
 */
export async function totals(
  db: Db,
  f: Family,
  scope: Scope,
  groupBy: string[] = [],
  split?: string,
  top?: { by: string[]; limit: number },
): Promise<Row[]> {
  const sql = new Sql();
  const cond = where(sql, f, scope, split);
  const group = groupBy.length ? `GROUP BY ${groupBy.join(', ')}` : '';
  const select = [...groupBy, sums(f)].join(', ');
  const query = `SELECT ${select} FROM ${f.rollup} WHERE ${cond} ${group}`;
  if (!top) return db.$queryRawUnsafe<Row[]>(query, ...sql.params);
  const order = top.by.map((c) => `SUM(${c}) DESC`).join(', ');
  return db.$queryRawUnsafe<Row[]>(
    `SELECT * FROM (
       SELECT ${select}, rank() OVER (ORDER BY ${order}) AS top_rank FROM ${f.rollup} WHERE ${cond} ${group}
       HAVING SUM(n) > 0) t
     WHERE top_rank <= ${sql.add(top.limit)}`,
    ...sql.params,
  );
}

/**
 * A family's sums per local day or hour in the scope's zone: hourly rows re-bucketed, which is exact
 * because the zone's offset is a whole number of hours (checked by the API); by day in a zone the
 * family keeps local days of, its whole local days from those rows and only the edges from hours.
 */
export async function series(db: Db, f: Family, scope: Scope, bucket: Bucket, split?: string): Promise<Row[]> {
  const sql = new Sql();
  const tz = sql.add(scope.timeZone);
  const label =
    bucket === 'day'
      ? `to_char(bucket AT TIME ZONE ${tz}, 'YYYY-MM-DD')`
      : `to_char(bucket AT TIME ZONE ${tz}, 'YYYY-MM-DD"T"HH24:00')`;
  if (!f.hourCube) throw new Error(`${f.name} keeps no hourly series`);
  const span = (a: number, b: number) => `bucket >= ${sql.add(new Date(a))} AND bucket < ${sql.add(new Date(b))}`;
  const zone = bucket === 'day' ? f.localDayZones?.find((z) => z === scope.timeZone) : undefined;
  const days = zone ? localDaySpan(scope.from, scope.to, zone) : undefined;
  const hours: Array<[number, number]> = days
    ? [
        [scope.from, days[0]],
        [days[1], scope.to],
      ]
    : [[scope.from, scope.to]];
  const pieces = hours
    .filter(([a, b]) => a < b)
    .map(([a, b]) => `(${filters(sql, f, 'hour', scope, split)} AND ${span(a, b)})`);
  if (days) pieces.push(`(${filters(sql, f, `day:${zone}`, scope, split)} AND ${span(...days)})`);
  const cols = [label, ...(split ? [split] : [])];
  return db.$queryRawUnsafe<Row[]>(
    `SELECT ${label} AS bucket, ${split ? `${split}, ` : ''}${sums(f)} FROM ${f.rollup}
     WHERE (${pieces.join(' OR ')}) GROUP BY ${cols.join(', ')} ORDER BY ${cols.join(', ')}`,
    ...sql.params,
  );
}

export interface StockRow {
  merchant_id: string;
  sku: string;
  name: string;
  warehouse_id: string;
  on_hand: number;
  available: number;
}

interface StockFilter {
  merchantId?: string;
  sku?: string;
  warehouseId?: string;
}

/** Stock per SKU and warehouse of the filters. */
export async function stockLevels(db: Db, filter: StockFilter): Promise<StockRow[]> {
  const sql = new Sql();
  const conds = [
    ...(filter.merchantId !== undefined ? [`p.merchant_id = ${sql.add(filter.merchantId)}`] : []),
    ...(filter.sku !== undefined ? [`i.sku = ${sql.add(filter.sku)}`] : []),
    ...(filter.warehouseId !== undefined ? [`i.warehouse_id = ${sql.add(filter.warehouseId)}`] : []),
  ];
  return db.$queryRawUnsafe<StockRow[]>(
    `SELECT p.merchant_id, i.sku, p.name, i.warehouse_id, i.on_hand, (i.on_hand - i.reserved - i.allocated) AS available
     FROM inventory i JOIN products p ON p.sku = i.sku
     ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
     ORDER BY p.merchant_id, i.sku, i.warehouse_id`,
    ...sql.params,
  );
}

/** Units shipped per SKU and warehouse of orders submitted in [from, to) (a velocity window). */
export async function shippedUnits(
  db: Db,
  scope: StockFilter & { from: number; to: number },
): Promise<Array<{ sku: string; warehouse_id: string; units: number }>> {
  const sql = new Sql();
  const f = FAMILIES.shipped;
  const conds = [
    where(sql, f, { ...scope, timeZone: 'UTC' }),
    ...(scope.sku !== undefined ? [`sku = ${sql.add(scope.sku)}`] : []),
    ...(scope.warehouseId !== undefined ? [`warehouse_id = ${sql.add(scope.warehouseId)}`] : []),
  ];
  return db.$queryRawUnsafe(
    `SELECT sku, warehouse_id, SUM(units)::float8 AS units FROM ${f.rollup}
     WHERE ${conds.join(' AND ')} GROUP BY sku, warehouse_id`,
    ...sql.params,
  );
}

/** Each merchant's stored policy overrides (merchants.policy), for its replenishment values. */
export async function merchantPolicies(db: Db, ids: string[]): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.merchant.findMany({ where: { id: { in: ids } }, select: { id: true, policy: true } });
  return new Map(rows.map((r) => [r.id, (r.policy ?? {}) as Record<string, unknown>]));
}

/** Product names for SKUs (the rollups keep only the SKU). */
export async function productNames(db: Db, skus: string[]): Promise<Map<string, string>> {
  const rows = await db.product.findMany({ where: { sku: { in: skus } }, select: { sku: true, name: true } });
  return new Map(rows.map((r) => [r.sku, r.name]));
}

export interface PromotionWindow {
  code: string;
  name: string;
  merchantId: string | null;
  startsAt: Date;
  endsAt: Date;
}

/** The promotions with these codes: their names, owners and windows (for uplift). */
export async function promotionWindows(db: Db, codes: string[]): Promise<Map<string, PromotionWindow>> {
  const rows = await db.promotion.findMany({
    where: { code: { in: codes } },
    select: { code: true, name: true, merchantId: true, startsAt: true, endsAt: true },
  });
  return new Map(rows.map((r) => [r.code, r]));
}
