import { Prisma } from '../../prisma/generated/client';
import type { Db } from '../db';
import { rebuildCustomers, refreshCustomers } from './customers';
import { ALL_FAMILIES, type Family, type Grain } from './families';

const FILTERS = ['merchant_id', 'channel', 'payment_method'];

/** The (merchant, channel, payment method) rows a fact counts in: its own values, or '*' for any of them. */
export function combos(f: Family, grain: Grain): Array<[boolean, boolean, boolean]> {
  const all: Array<[boolean, boolean, boolean]> = [];
  for (const m of [false, true]) for (const c of [false, true]) for (const p of [false, true]) all.push([m, c, p]);
  if (grain === 'hour' && !f.hourCube) return [[false, false, false]];
  return all.filter(([m]) => f.merchantCube || !m);
}

/**
 * Every fact counts once per grain (its UTC hour, day and, if kept, month) and filter combination, so "all
 * channels of merchant m per day" is one row per day instead of a sum at query time.
 */
function expand(f: Family): string {
  const grains: Array<[Grain, string]> = [
    ['hour', 'd.hour'],
    ['day', `date_trunc('day', d.hour, 'UTC')`],
    ...(f.monthGrain ? [['month', `date_trunc('month', d.hour, 'UTC')`] as [Grain, string]] : []),
    ...(f.localDayZones ?? []).map((z): [Grain, string] => [`day:${z}`, `date_trunc('day', d.hour, '${z}')`]),
  ];
  const rows = grains.flatMap(([grain, bucket]) =>
    combos(f, grain).map(
      ([m, c, p]) =>
        `('${grain}', ${bucket}, ${m ? `'*'` : 'd.merchant_id'}, ${c ? `'*'` : 'd.channel'}, ${p ? `'*'` : 'd.payment_method'})`,
    ),
  );
  return `CROSS JOIN LATERAL (VALUES ${rows.join(', ')}) c(grain, bucket, merchant_id, channel, payment_method)`;
}

/** A fact's columns (a key that is also a dimension appears once). */
export const factColumns = (f: Family) => [
  ...new Set(['order_id', ...f.keys, 'hour', ...FILTERS, ...f.dims, ...f.measures]),
];
export const rollupKey = (f: Family) =>
  f.timeless ? ['merchant_id', ...f.dims] : [...FILTERS, 'grain', 'bucket', ...f.dims];

/** The rollup rows of `facts` (a subquery with a `sign` column: +1 fresh, -1 superseded). */
function aggregate(f: Family, facts: string): string {
  const key = rollupKey(f);
  const expanded = !f.timeless;
  const cols = key.map((k) =>
    expanded && (FILTERS.includes(k) || k === 'grain' || k === 'bucket') ? `c.${k}` : `d.${k}`,
  );
  return `SELECT ${cols.map((c, i) => `${c} AS ${key[i]}`).join(', ')},
      ${f.measures.map((m) => `SUM(d.sign * d.${m})::bigint AS ${m}`).join(', ')}
    FROM (${facts}) d ${expanded ? expand(f) : ''}
    GROUP BY ${cols.join(', ')}`;
}

/** Adds the difference between the fresh facts of `ids` and their stored facts to the rollup, then stores the fresh ones. */
async function applyFamily(tx: Prisma.TransactionClient, f: Family, ids: string[]): Promise<void> {
  const cols = factColumns(f).join(', ');
  const fresh = f.source('o.id = ANY($1::text[])');
  const delta = `SELECT 1 AS sign, ${cols} FROM (${fresh}) n
    UNION ALL SELECT -1 AS sign, ${cols} FROM ${f.facts} WHERE order_id = ANY($1::text[])`;
  const key = rollupKey(f);
  await tx.$executeRawUnsafe(
    `INSERT INTO ${f.rollup} (${[...key, ...f.measures].join(', ')}) ${aggregate(f, delta)}
     ON CONFLICT (${key.join(', ')}) DO UPDATE SET
       ${f.measures.map((m) => `${m} = ${f.rollup}.${m} + EXCLUDED.${m}`).join(', ')}`,
    ids,
  );
  await tx.$executeRawUnsafe(`DELETE FROM ${f.facts} WHERE order_id = ANY($1::text[])`, ids);
  await tx.$executeRawUnsafe(`INSERT INTO ${f.facts} (${cols}) SELECT ${cols} FROM (${fresh}) n`, ids);
}

const REFRESH_LOCK = 0x616e616c; // 'anal': one refresher at a time, so rollup rows are never updated in two orders at once

/**
 * Takes a batch of dirty orders ($1 how many): the orders marked longest ago, with every mark of
 * theirs the snapshot sees. An order has a mark per write (decision 116: appended, never updated, so
 * a write marking an order never waits for this DELETE); a batch counts orders, not marks, or a queue
 * of busy orders would take many small batches. A mark committed after the snapshot is a row this
 * cannot see, left for the next batch, and its change is refreshed then.
 */
const TAKE_MARKS = `DELETE FROM analytics_dirty WHERE order_id IN (
    SELECT order_id FROM analytics_dirty GROUP BY order_id ORDER BY min(id) LIMIT $1)
  RETURNING order_id`;

/**
 * One batch of dirty orders. REPEATABLE READ: the marks taken, the fresh facts added to the rollups
 * and the ones stored are read from one snapshot. The snapshot is taken before the lock is granted,
 * so a refresher that waited for another finds marks that one deleted: its DELETE fails with a
 * serialization error, and the batch is retried on a new snapshot.
 */
async function refreshBatch(db: Db, limit: number): Promise<number> {
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${REFRESH_LOCK})`;
      const taken = await tx.$queryRawUnsafe<Array<{ order_id: string }>>(TAKE_MARKS, limit);
      const ids = [...new Set(taken.map((r) => r.order_id))];
      if (ids.length) {
        for (const f of ALL_FAMILIES) await applyFamily(tx, f, ids);
        await refreshCustomers(tx, ids);
      }
      return ids.length;
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 60_000 },
  );
}

const isSerializationFailure = (err: unknown) =>
  (err as { code?: string }).code === 'P2034' || /40001|could not serialize/i.test(String((err as Error).message));

/**
 * Brings every rollup up to date with the read model: drains the dirty queue in batches. Called by
 * every analytics read (so an answer includes every write committed before it) and periodically by
 * the worker process (so the queue stays short). Returns how many orders were refreshed.
 */
export async function refreshAnalytics(db: Db, batch = 500): Promise<number> {
  // The common case costs one indexed probe, not a transaction: nothing changed since the last refresh.
  const [queued] = await db.$queryRaw<Array<{ any: boolean }>>`SELECT EXISTS (SELECT 1 FROM analytics_dirty) AS any`;
  if (!queued?.any) return 0;
  let total = 0;
  for (let failures = 0; ;) {
    try {
      const n = await refreshBatch(db, batch);
      total += n;
      if (n < batch) return total;
    } catch (err) {
      if (!isSerializationFailure(err) || ++failures > 20) throw err;
    }
  }
}

/** What a family's rollup must hold: recomputed from the read model alone (no stored fact), for comparisons. */
export function recomputeSql(f: Family, where = 'true'): string {
  const cols = factColumns(f).join(', ');
  return aggregate(f, `SELECT 1 AS sign, ${cols} FROM (${f.source(where)}) n`);
}

/** Replaces a table's rows by a query's, building its primary key once afterwards (sorting beats a million B-tree inserts). */
async function reload(tx: Prisma.TransactionClient, table: string, key: string[], insert: string): Promise<void> {
  await tx.$executeRawUnsafe(`TRUNCATE ${table}`);
  await tx.$executeRawUnsafe(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey`);
  await tx.$executeRawUnsafe(insert);
  await tx.$executeRawUnsafe(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_pkey PRIMARY KEY (${key.join(', ')})`);
}

/**
 * Rebuilds every fact and rollup from the read model (the seed, and repairs). Runs in one transaction
 * under the refresher's lock; dirty marks older than its snapshot are dropped, as their orders are in it.
 */
export async function rebuildAnalytics(db: Db, log: (msg: string) => void = () => undefined): Promise<void> {
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${REFRESH_LOCK})`;
      await tx.$executeRawUnsafe(`DELETE FROM analytics_dirty`);
      for (const f of ALL_FAMILIES) {
        const started = Date.now();
        const cols = factColumns(f).join(', ');
        const key = rollupKey(f);
        await reload(
          tx,
          f.facts,
          ['order_id', ...f.keys],
          `INSERT INTO ${f.facts} (${cols}) SELECT ${cols} FROM (${f.source('true')}) n`,
        );
        await reload(
          tx,
          f.rollup,
          key,
          `INSERT INTO ${f.rollup} (${[...key, ...f.measures].join(', ')})
           ${aggregate(f, `SELECT 1 AS sign, ${cols} FROM ${f.facts}`)}`,
        );
        log(`${f.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
      const started = Date.now();
      await rebuildCustomers(tx);
      log(`customers: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 3_600_000 },
  );
}
