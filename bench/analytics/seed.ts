// `npm run analytics:seed`: writes the analytics data set (default 1,000,000 orders over the 365 days
// before now, with lines, payments, refunds, shipments, tracking events and after-sales requests)
// straight into DATABASE_URL, then builds every rollup from it (docs/analytics.md, "Benchmark").
// Never point it at a database you care about: it adds 'so-*' orders for 20 merchants including
// m-demo. ANALYTICS_ORDERS sets the count, ANALYTICS_BATCH the orders per statement set.
import { Client } from 'pg';
import { applyMigrations } from '../../scripts/migrations';
import { rebuildAnalytics } from '../../store/analytics/refresh';
import { createDb } from '../../store/db';
import { CATALOGUE, DEPENDENTS, LINES, ORDERS } from './seed-sql';

const TRIGGERS: Array<[string, string]> = [
  ['orders', 'analytics_orders'],
  ['order_lines', 'analytics_order_lines'],
  ['payments', 'analytics_payments'],
  ['refunds', 'analytics_refunds'],
  ['shipments', 'analytics_shipments'],
  ['after_sales_requests', 'analytics_after_sales'],
  ['tracking_events', 'analytics_tracking'],
];

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await work();
  console.log(`${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** Bulk rows skip the dirty queue (a million marks to drain): the rollups are rebuilt once at the end. */
async function setTriggers(pg: Client, on: boolean): Promise<void> {
  for (const [table, trigger] of TRIGGERS)
    await pg.query(`ALTER TABLE ${table} ${on ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`);
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required (a scratch database: the seed adds a million orders)');
  const total = Number(process.env.ANALYTICS_ORDERS ?? 1_000_000);
  const batch = Number(process.env.ANALYTICS_BATCH ?? 50_000);
  await applyMigrations(url, () => undefined);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const { rows } = await pg.query(`SELECT count(*)::int AS n FROM orders WHERE id LIKE 'so-%'`);
  if (rows[0].n > 0) throw new Error(`${rows[0].n} seeded orders are already there; use a fresh database`);
  const now = new Date();
  try {
    await setTriggers(pg, false);
    await timed('catalogue', async () => {
      for (const sql of CATALOGUE) await pg.query(sql);
    });
    for (let from = 0; from < total; from += batch) {
      const to = Math.min(total, from + batch);
      await timed(`orders ${from}–${to}`, async () => {
        await pg.query('BEGIN');
        await pg.query(ORDERS, [from, to, now]);
        await pg.query(LINES, [from, to]);
        for (const sql of DEPENDENTS) await pg.query(sql, [from, to]);
        await pg.query('COMMIT');
      });
    }
  } finally {
    await setTriggers(pg, true);
  }
  await timed('analyze', () => pg.query('ANALYZE'));
  await pg.end();
  const db = createDb(url, 2);
  await timed('rollups (full recompute)', () => rebuildAnalytics(db, (msg) => console.log(`  ${msg}`)));
  await db.$disconnect();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
