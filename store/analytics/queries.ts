import { splitPeriod, type Bucket } from '../../domain';
import type { Db } from '../db';
import { FAMILIES, type Family } from './families';

/** What every analytics read is about: a half-open UTC period [from, to) on whole hours, and the filters. */
export interface Scope {
  from: number;
  to: number;
  timeZone: string;
  merchantId?: string;
  channel?: string;
  paymentMethod?: string;
}

type Row = Record<string, string | number | null>;

/** Builds a parameterised WHERE clause; values never enter the SQL text. */
class Sql {
  readonly params: unknown[] = [];
  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** Filter columns: a value picks its rows, absent picks the '*' rows (all), `split` picks every real value. */
function filters(sql: Sql, scope: Scope, split?: string): string {
  const given: Record<string, string | undefined> = {
    merchant_id: scope.merchantId,
    channel: scope.channel,
    payment_method: scope.paymentMethod,
  };
  return Object.entries(given)
    .map(([col, v]) => (v !== undefined ? `${col} = ${sql.add(v)}` : col === split ? `${col} <> '*'` : `${col} = '*'`))
    .join(' AND ');
}

function period(sql: Sql, from: number, to: number): string {
  const { days, hours } = splitPeriod(from, to);
  const ranges = hours.map(
    ([a, b]) => `(grain = 'hour' AND bucket >= ${sql.add(new Date(a))} AND bucket < ${sql.add(new Date(b))})`,
  );
  if (days)
    ranges.push(
      `(grain = 'day' AND bucket >= ${sql.add(new Date(days[0]))} AND bucket < ${sql.add(new Date(days[1]))})`,
    );
  return `(${ranges.join(' OR ')})`;
}

const sums = (f: Family) => f.measures.map((m) => `SUM(${m})::float8 AS ${m}`).join(', ');

/** A family's sums over the whole period, grouped by some of its columns. */
export async function totals(db: Db, f: Family, scope: Scope, groupBy: string[] = [], split?: string): Promise<Row[]> {
  const sql = new Sql();
  const where = `${filters(sql, scope, split)} AND ${period(sql, scope.from, scope.to)}`;
  const group = groupBy.length ? `GROUP BY ${groupBy.join(', ')}` : '';
  const select = [...groupBy, sums(f)].join(', ');
  return db.$queryRawUnsafe<Row[]>(`SELECT ${select} FROM ${f.rollup} WHERE ${where} ${group}`, ...sql.params);
}

/**
 * A family's sums per local day or hour in the scope's zone: hourly rows re-bucketed, which is exact
 * because the zone's offset is a whole number of hours (checked by the API).
 */
export async function series(db: Db, f: Family, scope: Scope, bucket: Bucket, split?: string): Promise<Row[]> {
  const sql = new Sql();
  const tz = sql.add(scope.timeZone);
  const label =
    bucket === 'day'
      ? `to_char(bucket AT TIME ZONE ${tz}, 'YYYY-MM-DD')`
      : `to_char(bucket AT TIME ZONE ${tz}, 'YYYY-MM-DD"T"HH24:00')`;
  const where = `${filters(sql, scope, split)} AND grain = 'hour'
    AND bucket >= ${sql.add(new Date(scope.from))} AND bucket < ${sql.add(new Date(scope.to))}`;
  const cols = [label, ...(split ? [split] : [])];
  return db.$queryRawUnsafe<Row[]>(
    `SELECT ${label} AS bucket, ${split ? `${split}, ` : ''}${sums(f)} FROM ${f.rollup}
     WHERE ${where} GROUP BY ${cols.join(', ')} ORDER BY ${cols.join(', ')}`,
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
  shipped_units: number;
}

/** Stock per SKU and warehouse with the units shipped from it over [from, to) (the velocity window). */
export async function stockWithDemand(
  db: Db,
  scope: { from: number; to: number; merchantId?: string; sku?: string; warehouseId?: string },
): Promise<StockRow[]> {
  const sql = new Sql();
  const merchant = scope.merchantId !== undefined ? sql.add(scope.merchantId) : `'*'`;
  const demand = `SELECT sku, warehouse_id, SUM(units) AS units FROM ${FAMILIES.shipped.rollup}
    WHERE merchant_id = ${merchant} AND channel = '*' AND payment_method = '*' AND ${period(sql, scope.from, scope.to)}
    GROUP BY sku, warehouse_id`;
  const conds = [
    ...(scope.merchantId !== undefined ? [`p.merchant_id = ${merchant}`] : []),
    ...(scope.sku !== undefined ? [`i.sku = ${sql.add(scope.sku)}`] : []),
    ...(scope.warehouseId !== undefined ? [`i.warehouse_id = ${sql.add(scope.warehouseId)}`] : []),
  ];
  return db.$queryRawUnsafe<StockRow[]>(
    `SELECT p.merchant_id, i.sku, p.name, i.warehouse_id, i.on_hand,
        (i.on_hand - i.reserved - i.allocated) AS available, COALESCE(d.units, 0)::float8 AS shipped_units
     FROM inventory i JOIN products p ON p.sku = i.sku
     LEFT JOIN (${demand}) d ON d.sku = i.sku AND d.warehouse_id = i.warehouse_id
     ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
     ORDER BY p.merchant_id, i.sku, i.warehouse_id`,
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
