// `npm run bench:pricing`: the cost of pricing one cart (issue 12, item 7; docs/benchmark.md,
// "Pricing") with 1,000 promotions in force and 100,000 issued coupons on a real PostgreSQL.
// Seeds a fresh database (bench/pricing/seed-sql.ts), then times per quote over realistic carts:
//   engine  the pure quote() on inputs read beforehand;
//   store   priceCart(): candidates from the process's promotion cache, one statement for the rest
//           (products, rate, tier, coupon, points, counters, the cache's version), then quote();
//   http    POST /v1/quotes through the real API in process (app.inject: auth, zod, the route, JSON);
//   reload  what a promotion write costs each process once: the cache reading every promotion in force.
// Database: DATABASE_URL (a scratch one, seeded if it is not yet), else a fresh database on
// BENCH_ADMIN_DATABASE_URL / the local server / an embedded PostgreSQL, dropped at the end.
// PRICING_BENCH_QUOTES: quotes per measure (default 3,000, after 200 warm-up quotes).
// PRICING_BENCH_RESULT: a file to write the figures to as JSON (npm run bench does, bench/pricing/section.ts).
// BENCH_VCPU_POLL=1 or --vcpu-poll: idle CPUs poll rather than halt meanwhile (bench/machine.ts); the table's first line says which.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Client as TemporalClient } from '@temporalio/client';
import { Client } from 'pg';
import { buildApp } from '../../api/app';
import { checkoutOf } from '../../api/routes/pricing';
import { loadConfig } from '../../config';
import { quote } from '../../domain';
import { applyMigrations } from '../../scripts/migrations';
import { adminDatabase } from '../../scripts/local-postgres';
import { createDb, type Db } from '../../store/db';
import { priceCart, quoteInputOf, type PriceRequest } from '../../store/pricing';
import { PromotionCache } from '../../store/promotions';
import { describeMachine, idleCpusAsAsked, machineState } from '../machine';
import * as seed from './seed-sql';

const QUOTES = Number(process.env.PRICING_BENCH_QUOTES ?? 3000);
const WARM_UP = 200;
const PROVINCES = ['上海', '北京', '广东', '浙江', '新疆'];

interface Cart {
  channel: string;
  customerId: string;
  province: string;
  lines: Array<{ sku: string; quantity: number }>;
  couponCode?: string;
  pointsToRedeem?: number;
}

/** A small deterministic generator (mulberry32), so every run prices the same carts. */
function random(seedValue: number): (n: number) => number {
  let a = seedValue;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** 1–5 lines of one merchant, 1–3 units each; a usable coupon in 30 %, 200 points in 30 %. */
async function cartsFor(pg: Client, count: number): Promise<Cart[]> {
  const r = random(12);
  const carts: Cart[] = [];
  for (let i = 0; i < count; i++) {
    const m = r(seed.MERCHANTS);
    const customer = r(seed.CUSTOMERS);
    const skus = [...new Set(Array.from({ length: 1 + r(5) }, () => seed.skuOf(m, r(seed.SKUS_PER_MERCHANT))))];
    const cart: Cart = {
      channel: r(4) === 0 ? 'web' : 'app',
      customerId: seed.customerOf(customer),
      province: PROVINCES[r(PROVINCES.length)],
      lines: skus.map((sku) => ({ sku, quantity: 1 + r(3) })),
    };
    if (r(10) < 3) {
      const { rows } = await pg.query(
        `SELECT c.code FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
         WHERE c.customer_id = $1 AND c.status = 'issued' AND (t.merchant_id IS NULL OR t.merchant_id = $2)
         ORDER BY c.code LIMIT 1`,
        [cart.customerId, seed.merchantOf(m)],
      );
      if (rows[0]) cart.couponCode = rows[0].code as string;
    }
    if (r(10) < 3) cart.pointsToRedeem = 200;
    carts.push(cart);
  }
  return carts;
}

async function seedDatabase(url: string): Promise<void> {
  await applyMigrations(url, () => undefined);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const { rows } = await pg.query(`SELECT count(*)::int AS n FROM merchants WHERE id = 'pm-00'`);
    if (rows[0].n > 0) return console.log('database already seeded: reusing it');
    const started = Date.now();
    await pg.query('BEGIN');
    for (const sql of [...seed.CATALOGUE, seed.PROMOTIONS, seed.TEMPLATES, seed.ISSUED_COUPONS]) await pg.query(sql);
    await pg.query('COMMIT');
    await pg.query('ANALYZE');
    console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await pg.end();
  }
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const loadAverage = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const measures: Array<{
  label: string;
  quotes: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Mean ms of the main thread's CPU per item (none where a `before` step runs between items). */
  cpu: number | null;
}> = [];

/**
 * The main thread's CPU (node ≥ 23.9; the whole process's before): a quote's own work, apart from its
 * waits for PostgreSQL and for a core, which the wall time also counts. Only a mean over many items:
 * the kernel's split of a thread's time is too coarse to time one quote (single calls read 0 or 4 ms).
 */
const threadCpu: () => NodeJS.CpuUsage =
  (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.bind(process) ?? (() => process.cpuUsage());
const cpuMs = (from: NodeJS.CpuUsage, to: NodeJS.CpuUsage) => (to.user - from.user + to.system - from.system) / 1000;

/** Runs `once` for every item (the first `warmUp` untimed, `before` never) and prints its latency distribution and mean CPU. */
async function measure<T>(
  label: string,
  items: T[],
  once: (item: T) => Promise<void> | void,
  warmUp = WARM_UP,
  before?: (item: T) => Promise<unknown>,
) {
  const times: number[] = [];
  let cpuFrom = threadCpu();
  for (let i = 0; i < items.length; i++) {
    await before?.(items[i]);
    if (i === warmUp) cpuFrom = threadCpu();
    const started = process.hrtime.bigint();
    await once(items[i]);
    if (i >= warmUp) times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const cpu = before ? null : Number((cpuMs(cpuFrom, threadCpu()) / times.length).toFixed(3));
  times.sort((a, b) => a - b);
  const [p50, p95, p99, max] = [0.5, 0.95, 0.99, 1].map((q) => Number(quantile(times, q).toFixed(3)));
  measures.push({ label, quotes: times.length, p50, p95, p99, max, cpu });
  console.log(`| ${label} | ${times.length} | ${p50} | ${p95} | ${p99} | ${max} | ${cpu ?? '–'} |`);
}

async function run(url: string): Promise<void> {
  await seedDatabase(url);
  const config = loadConfig({ ...process.env, DATABASE_URL: url, PRICING_PROMOTIONS: 'on' });
  const db: Db = createDb(url, 4);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const counts = await pg.query(`SELECT
    (SELECT count(*)::int FROM promotions WHERE active AND starts_at <= now() AND ends_at > now()) AS in_force,
    (SELECT count(*)::int FROM promotions) AS promotions,
    (SELECT count(*)::int FROM coupons WHERE status = 'issued') AS issued,
    (SELECT count(*)::int FROM coupons) AS coupons`);
  const carts = await cartsFor(pg, WARM_UP + QUOTES);
  await pg.end();
  const c = counts.rows[0];
  console.log(
    `${c.in_force} promotions in force (${c.promotions} stored), ${c.issued} issued coupons (${c.coupons} stored); ` +
      `${QUOTES} quotes per measure after ${WARM_UP} warm-up; ${carts.filter((x) => x.couponCode).length} with a coupon, ` +
      `${carts.filter((x) => x.pointsToRedeem).length} with points; load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );

  const request = (cart: Cart): PriceRequest => ({ at: new Date(), ...cart, ...checkoutOf(config, cart) });
  const inputs = new Map<Cart, Awaited<ReturnType<typeof quoteInputOf>>>();
  for (const cart of carts) inputs.set(cart, await quoteInputOf(db, request(cart)));
  const loaded = [...inputs.values()].map((i) => ('promotions' in i ? i.promotions.length : 0));
  console.log(
    `promotions read per quote: mean ${(loaded.reduce((t, n) => t + n, 0) / loaded.length).toFixed(1)}, max ${Math.max(...loaded)}\n`,
  );

  const app = await buildApp({ config, db, temporal: {} as TemporalClient });
  const loadBefore = loadAverage();
  const machine = machineState();
  console.log(`${os.cpus().length} CPUs; ${describeMachine(machine)}\n`);
  const statuses = new Map<number, number>();
  const rejected: string[] = [];
  console.log('| measure | quotes | p50 ms | p95 ms | p99 ms | max ms | main thread CPU, mean ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  await measure('engine: quote()', carts, (cart) => {
    const input = inputs.get(cart)!;
    if ('promotions' in input) quote(input);
  });
  await measure('store: priceCart()', carts, async (cart) => {
    await priceCart(db, request(cart));
  });
  await measure('http: POST /v1/quotes', carts, async (cart) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/quotes',
      headers: { authorization: 'Bearer dev-platform-key' },
      payload: cart,
    });
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    if (res.statusCode !== 200 && rejected.length < 3) rejected.push(res.body);
  });
  // What a promotion write costs each process once, outside the quotes above: its next quote reloads.
  const fresh = Array.from({ length: 30 }, () => new PromotionCache());
  await measure('reload: a new process reads every promotion', fresh, (cache) => cache.refresh(db, 0n), 5);
  const edits = Array.from({ length: 30 }, (_, i) => `pb-promo-${i * 31}`);
  await measure(
    'store: the first quote after one promotion changed',
    edits,
    async () => {
      await priceCart(db, request(carts[0]));
    },
    5,
    (id) => db.$executeRaw`UPDATE promotions SET priority = priority WHERE id = ${id}`,
  );
  console.log(
    `\nHTTP statuses: ${JSON.stringify(Object.fromEntries(statuses))}; load average ${loadAverage().join(' ')}`,
  );
  if (process.env.PRICING_BENCH_RESULT)
    writeFileSync(
      process.env.PRICING_BENCH_RESULT,
      JSON.stringify(
        { counts: c, machine, loadAverage: { before: loadBefore, after: loadAverage() }, measures },
        null,
        2,
      ),
    );
  for (const body of rejected) console.log(`  e.g. ${body}`);
  await app.close();
  await db.$disconnect();
}

async function main(): Promise<void> {
  if (!idleCpusAsAsked()) process.exit(2);
  if (process.env.DATABASE_URL) return run(process.env.DATABASE_URL);
  const admin = await adminDatabase(process.env.BENCH_ADMIN_DATABASE_URL, console.log);
  const name = `pricing_bench_${Date.now()}_${process.pid}`;
  const pg = new Client({ connectionString: admin.url });
  await pg.connect();
  await pg.query(`CREATE DATABASE ${name}`);
  const url = new URL(admin.url);
  url.pathname = `/${name}`;
  try {
    await run(url.toString());
  } finally {
    await pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await pg.end();
    await admin.release();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
