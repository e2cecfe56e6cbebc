// `npm run bench:analytics`: latency of every analytics endpoint on the seeded data set
// (npm run analytics:seed), through the real API in process (app.inject: routing, validation, auth,
// the on-read refresh, the SQL and the JSON), printing p50 and p99 per endpoint
// (docs/analytics.md, "Benchmark"). DATABASE_URL: the seeded database. ANALYTICS_BENCH_RUNS: requests
// per endpoint (default 100, after 5 warm-up requests).
import type { Client } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createDb } from '../../store/db';

const ENDPOINTS = [
  'sales',
  'funnel',
  'cancellations',
  'products/top',
  'after-sales',
  'after-sales/reasons',
  'couriers',
  'stock-cover',
  'customers/repeat',
  'customers/segments',
  'products/bought-together',
  'promotions',
];

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000 + 8 * 3_600_000).toISOString().slice(0, 10);

/** The questions asked in turn: a month, a year, a merchant's year, a channel's quarter, a week by hour. */
function variants(endpoint: string): Array<{ key: string; query: string }> {
  const support = 'dev-support-key';
  const merchant = 'dev-merchant-key';
  if (endpoint === 'customers/segments' || endpoint === 'products/bought-together')
    return [
      { key: support, query: '' },
      { key: merchant, query: '' },
      { key: support, query: endpoint === 'customers/segments' ? 'merchantId=am-07&channel=app' : 'sku=AS-7-3' },
    ];
  if (endpoint === 'stock-cover')
    return [
      { key: support, query: '' },
      { key: merchant, query: '' },
      { key: support, query: 'merchantId=am-07' },
    ];
  return [
    { key: support, query: `from=${day(-30)}&to=${day(1)}` },
    { key: support, query: `from=${day(-365)}&to=${day(1)}` },
    { key: merchant, query: `from=${day(-365)}&to=${day(1)}` },
    { key: support, query: `from=${day(-90)}&to=${day(1)}&channel=app&paymentMethod=alipay` },
    { key: support, query: `from=${day(-200)}&to=${day(-100)}&merchantId=am-03&timezone=UTC` },
    ...(endpoint === 'sales' ? [{ key: support, query: `from=${day(-7)}&to=${day(1)}&bucket=hour` }] : []),
  ];
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required: the database npm run analytics:seed filled');
  const runs = Number(process.env.ANALYTICS_BENCH_RUNS ?? 100);
  const db = createDb(url, 4);
  // Analytics never calls Temporal: the client is not needed to answer them.
  const app = await buildApp({ config: loadConfig({ ...process.env, DATABASE_URL: url }), db, temporal: {} as Client });
  const orders = await db.order.count();
  console.log(`${orders} orders; ${runs} requests per endpoint\n`);
  console.log('| endpoint | p50 ms | p99 ms | max ms | rows (last) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const endpoint of ENDPOINTS) {
    const asks = variants(endpoint);
    const times: number[] = [];
    let rows = 0;
    for (let i = -5; i < runs; i++) {
      const { key, query } = asks[(i + 5) % asks.length];
      const started = process.hrtime.bigint();
      const res = await app.inject({
        method: 'GET',
        url: `/v1/analytics/${endpoint}?${query}`,
        headers: { authorization: `Bearer ${key}` },
      });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.statusCode !== 200) throw new Error(`${endpoint}?${query}: ${res.statusCode} ${res.body}`);
      rows = (res.json() as { rows: unknown[] }).rows.length;
      if (i >= 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const f = (x: number) => x.toFixed(1);
    console.log(
      `| ${endpoint} | ${f(quantile(times, 0.5))} | ${f(quantile(times, 0.99))} | ${f(times[times.length - 1])} | ${rows} |`,
    );
  }
  await app.close();
  await db.$disconnect();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
