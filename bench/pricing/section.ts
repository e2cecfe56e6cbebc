// The pricing section of `npm run bench` (issue 12, item 7): runs bench/pricing/bench.ts in a child
// process of its own (its own database, dropped after), its table printed as it goes and its figures
// written beside the lifecycle report as bench/results/<time>-pricing.json.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { env } from '../options';
import { log, ROOT } from '../util';

export async function runPricingSection(): Promise<number> {
  const dir = path.join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const result = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-pricing.json`);
  log('pricing: 1,000 promotions in force, 100,000 issued coupons (bench/pricing/bench.ts)');
  // node --import tsx rather than the tsx launcher: a signal to us reaches the process that does the work.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'pricing', 'bench.ts')], {
    cwd: ROOT,
    env: { ...env, PRICING_BENCH_RESULT: result },
    stdio: 'inherit',
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  log(code === 0 ? `pricing figures: ${path.relative(ROOT, result)}` : `pricing bench failed (exit ${code})`);
  return code;
}
