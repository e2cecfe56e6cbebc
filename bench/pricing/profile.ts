// `DATABASE_URL=<a database bench:pricing seeded> npx tsx bench/pricing/profile.ts`: where a quote's
// time goes (docs/benchmark.md "Pricing"). Each step alone, one after another, over the benchmark's
// merchants and customers: a bare round trip through Prisma and through pg, the cache's candidate
// lookup, parsing the candidates' rules (what the cache saves), every read of a quote (one statement)
// and the engine.
import { Client } from 'pg';
import { loadConfig } from '../../config';
import { quote, ruleSchema } from '../../domain';
import { createDb } from '../../store/db';
import { quoteInputOf, type PriceRequest } from '../../store/pricing';
import { promotionCacheOf } from '../../store/promotions';
import * as seed from './seed-sql';

const N = Number(process.env.PRICING_BENCH_QUOTES ?? 1000);
const quantile = (s: number[], p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];

async function time(label: string, step: (i: number) => unknown) {
  const t: number[] = [];
  for (let i = 0; i < N + 100; i++) {
    const started = process.hrtime.bigint();
    await step(i);
    if (i >= 100) t.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(`| ${label} | ${[0.5, 0.95, 0.99].map((p) => quantile(t, p).toFixed(3)).join(' | ')} |`);
}

async function main() {
  const url = process.env.DATABASE_URL!;
  const config = loadConfig({ ...process.env, PRICING_PROMOTIONS: 'on' });
  const db = createDb(url, 4);
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const m = (i: number) => i % seed.MERCHANTS;
  const req = (i: number): PriceRequest => ({
    at: new Date(),
    channel: 'app',
    customerId: seed.customerOf((i * 37) % seed.CUSTOMERS),
    province: '上海',
    lines: [seed.skuOf(m(i), i % 50), seed.skuOf(m(i), (i * 7 + 1) % 50)].map((sku) => ({ sku, quantity: 2 })),
    promotions: true,
    membership: config.membership,
    ...(i % 3 === 0 ? { pointsToRedeem: 200, points: { rate: 100, maxPercent: 50 } } : {}),
  });
  const inputs = await Promise.all(Array.from({ length: 50 }, (_, i) => quoteInputOf(db, req(i))));
  const cache = promotionCacheOf(db);
  const candidates = (i: number) => {
    const r = req(i);
    return cache.candidates({
      merchantId: seed.merchantOf(m(i)),
      skus: r.lines.map((l) => l.sku),
      at: r.at,
      opensBy: r.at,
    });
  };
  const rules = candidates(3).map((p) => JSON.parse(JSON.stringify(p.rule)) as unknown);

  console.log('| step (alone, one after another) | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|');
  await time('round trip: SELECT 1 via Prisma', () => db.$queryRaw`SELECT 1`);
  await time('round trip: SELECT 1 via pg', () => pg.query('SELECT 1'));
  await time('cache: candidates of a cart', candidates);
  await time(`zod: parse ${rules.length} candidates' rules (saved by the cache)`, () =>
    rules.forEach((r) => ruleSchema.parse(r)),
  );
  await time('reads: quoteInputOf() (one statement + candidates)', (i) => quoteInputOf(db, req(i)));
  await time('engine: quote()', (i) => {
    const input = inputs[i % inputs.length];
    if ('promotions' in input) quote(input);
  });
  await pg.end();
  await db.$disconnect();
}
void main();
