/**
 * Load generator and benchmark report (`npm run bench`).
 *
 * Brings up its own local stack (stack.ts), drives whole order lifecycles through the HTTP API only at
 * an open-loop target rate with bounded in-flight work (load.ts), learning each order's progress from
 * the outbound events its subscribed receiver gets (receiver.ts), samples the stack's CPU and memory
 * and the Temporal server's metrics meanwhile (metrics.ts), then prints a report and writes it as JSON to
 * bench/results/<timestamp>.json, the children's logs next to it (report.ts). Options: options.ts.
 *
 * Exit code 1 when an order was lost or the API answered 5xx; 2 when the stack could not be brought
 * up. The stack is always torn down (children killed, database dropped), also on failure and Ctrl-C.
 *
 * Then the pricing section (bench/pricing/section.ts: per-quote cost with 1,000 promotions and 100,000
 * coupons); `--pricing=only` runs just that, `--pricing=off` skips it.
 *
 * With BENCH_CEILING=1 (or --ceiling), right after the lifecycles the ceiling (bench/ceiling/run.ts:
 * null lifecycles of the same shape on a fresh server of the same kind and flags) runs in a process of
 * its own and prints the engine/ceiling ratios against this run's report: one sitting. The shape is
 * that of one completed card order of this run and its shipment, their histories written beside the
 * report as <time>.order.history.json and <time>.shipment.history.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { drain, Driver, runWindow, warmUp } from './load';
import { Sampler, scrapeTemporalMetrics } from './metrics';
import { opts } from './options';
import { runPricingSection } from './pricing/section';
import { recordLifecycleHistories } from './ceiling/record';
import { addGracefulStops, buildReport, writeReport } from './report';
import { idleCpusAsAsked } from './machine';
import { bringUp, Stack } from './stack';
import { log, ROOT } from './util';

/** The report the lifecycles wrote, for the ceiling's ratios; the histories of one of their lifecycles, its shape. */
let engineReport: string | undefined;
let ceilingHistories: string[] | undefined;

/** One completed card order with one shipment of this run, its histories written for the ceiling's shape. */
async function recordShape(d: Driver, address: string, prefix: string): Promise<string[] | undefined> {
  const run = d.runs.find((r) => r.completedAt && r.method === 'card' && r.shipments === 1);
  if (!run) return undefined;
  return recordLifecycleHistories(address, run.orderId!, prefix).catch((err: Error) => {
    log(`could not record a lifecycle's histories for the ceiling: ${err.message}`);
    return undefined;
  });
}

async function main(): Promise<number> {
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const id = new Date().toISOString().replace(/[:.]/g, '-');
  const stack = new Stack(path.join(resultsDir, id));
  let driver: Driver | undefined;
  let reportFile: string | undefined;
  const sampler = new Sampler(
    () => stack.samplerRoots(),
    () =>
      driver && {
        started: driver.runs.length,
        completed: driver.runs.filter((r) => r.completedAt).length,
        inFlight: driver.inFlight,
        gets: driver.metrics.latency.get.length,
        submits: driver.metrics.latency.submit.length,
      },
  );

  let interrupted = false;
  const isInterrupted = () => interrupted;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      log(`${sig} again: killing the stack now`);
      stack.killAllSync();
      process.exit(130);
    }
    interrupted = true;
    log(`${sig}: stopping the load and tearing the stack down (again to force)`);
    driver?.stopAll();
    void stack.teardown().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => stack.killAllSync());

  log(
    `target ${opts.rate} orders/s for ${opts.durationSeconds}s, ≤${opts.concurrency} in flight, events awaited ≤${opts.eventTimeoutMs}ms then polled, ${Math.round(opts.wechatShare * 100)}% wechat_pay`,
  );
  const setupStarted = performance.now();
  try {
    sampler.start();
    await bringUp(stack, setupStarted);
  } catch (err) {
    log(`setup failed: ${(err as Error).message}`);
    sampler.stop();
    await stack.teardown();
    return 2;
  }

  try {
    const d = (driver = new Driver(stack.apiUrl));
    await d.subscribe();

    await sampler.measureIdle(opts);

    sampler.phase = 'warmup';
    await warmUp(d, stack.temporalAddress, isInterrupted);

    const before = await scrapeTemporalMetrics(stack.temporalMetricsPort);
    d.metrics.recording = d.events.recording = true;
    const windowStart = performance.now();
    sampler.windowStart = windowStart;
    sampler.phase = 'window';
    sampler.sample();
    await runWindow(d, windowStart, isInterrupted);
    const windowEnd = performance.now();
    const windowSeconds = (windowEnd - windowStart) / 1000;
    sampler.sample();
    const after = await scrapeTemporalMetrics(stack.temporalMetricsPort);

    sampler.phase = 'drain';
    const drainSeconds = await drain(d, isInterrupted);
    sampler.sample();
    const drained = await scrapeTemporalMetrics(stack.temporalMetricsPort);
    sampler.phase = 'after';
    d.metrics.recording = d.events.recording = false;
    await d.stopAndSettle();
    if (interrupted) return 130;

    const report = await buildReport(
      id,
      stack,
      d,
      sampler,
      { setupStarted, windowStart, windowEnd, windowSeconds, drainSeconds },
      { before, after, drained },
    );
    if (opts.ceiling) ceilingHistories = await recordShape(d, stack.temporalAddress, path.join(resultsDir, id));
    reportFile = engineReport = path.join(resultsDir, `${id}.json`);
    return writeReport(report, reportFile) ? 0 : 1;
  } catch (err) {
    log(`bench failed: ${(err as Error).stack ?? String(err)}`);
    return 1;
  } finally {
    sampler.stop();
    driver?.stopAll();
    await driver?.events.stop();
    log('tearing the stack down');
    await stack.teardown();
    const stops = Object.fromEntries(stack.children.map((c) => [c.name, c.stopSeconds ?? 'killed']));
    log(`graceful stop (s): ${JSON.stringify(stops)}`);
    if (reportFile) addGracefulStops(reportFile, stops);
    // empty logs (a quiet child) are only clutter
    for (const c of stack.children)
      if (existsSync(c.logFile) && readFileSync(c.logFile, 'utf8').trim() === '') rmSync(c.logFile);
  }
}

/** The ceiling in its own process (`node --import tsx`), compared with the lifecycles' report. */
function runCeiling(): number {
  log(
    `ceiling: null lifecycles of the same shape${engineReport ? `, compared with ${path.relative(ROOT, engineReport)}` : ''}`,
  );
  const args = ['--import', 'tsx', 'bench/ceiling/run.ts', ...process.argv.slice(2)];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...(engineReport ? { BENCH_COMPARE: engineReport } : {}) };
  // The shape of this sitting's engine, unless one is given.
  if (ceilingHistories && !childEnv.BENCH_CEILING_HISTORIES)
    childEnv.BENCH_CEILING_HISTORIES = ceilingHistories.join(',');
  const res = spawnSync(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: 'inherit' });
  return res.status ?? 1;
}

/** The lifecycles, the ceiling when asked, then the pricing section; the first failure's exit code. */
async function all(): Promise<number> {
  if (!idleCpusAsAsked()) return 2;
  let code = opts.pricing === 'only' ? 0 : await main();
  if (opts.ceiling && opts.pricing !== 'only' && code !== 130 && code !== 2) code = runCeiling() || code;
  if (opts.pricing === 'off' || code === 130) return code;
  const pricing = await runPricingSection();
  return code || pricing;
}

all().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
