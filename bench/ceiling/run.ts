/**
 * The ceiling (`npm run bench:ceiling`; issue 16, item 1): null lifecycles of the engine's current
 * shape on the Temporal server the engine's bench uses (BENCH_TEMPORAL, same flags: bench/stack.ts, startTemporal), with
 * the engine/ceiling ratios when the engine's report of the same sitting is given. See
 * docs/benchmark.md, "Ceiling".
 *
 * Options (environment, or argv as bench/options.ts reads them; the engine bench's own apply too:
 * BENCH_TEMPORAL, BENCH_DURATION_SECONDS, BENCH_CONCURRENCY, BENCH_WARMUP, BENCH_SETTLE_SECONDS, BENCH_IDLE_SECONDS,
 * BENCH_DRAIN_SECONDS, BENCH_TEMPORAL_LIMIT, BENCH_DYNAMIC_CONFIG, BENCH_SQLITE_PRAGMAS):
 *   BENCH_CEILING_RATE         null lifecycles started per second (default BENCH_RATE, else 25)
 *   BENCH_COMPARE              an engine report (bench/results/<time>.json) to print the ratios against
 *   BENCH_CEILING_HISTORIES    the recorded histories the shape comes from, comma separated, root first
 *                              (default the card order of the current lifecycle version, and its
 *                              shipment before version 3, under test/fixtures/v<n>/)
 *   BENCH_CEILING_POLL_MS      the wait before a workflow's first input, and before sending again an input that
 *                              came too early (a child not started yet, an update refused), then ×1.5 up to 1 s (250)
 *   BENCH_CEILING_TIMER_CAP_MS timers that fired in the recording wait at most this long (1000)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { CURRENT_LIFECYCLE, holdsParcels } from '../../contract';
import { describeMachine, idleCpusAsAsked, machineState } from '../machine';
import { Sampler } from '../metrics';
import { env, opts } from '../options';
import { Stack, startTemporal } from '../stack';
import { log, ROOT, round, sleep } from '../util';
import { WORKER_ENVIRONMENT, WORKER_NODE_FLAGS } from '../../workers/limits';
import { childrenOf, NullDriver, openLoop } from './driver';
import { ceilingFigures, compare, printCeiling } from './report';
import { eventCounts, lifecycleShape, readHistory, sumCounts, type EventCounts } from './shape';
import type { LifecycleShape } from './shape-types';

// The current version's card order, and its shipment child before version 3 (docs/decisions/100).
const FIXTURES = [
  'order-card-authorized-completed',
  ...(holdsParcels(CURRENT_LIFECYCLE) ? [] : ['shipment-delivered']),
].map((n) => path.join(ROOT, 'test', 'fixtures', `v${CURRENT_LIFECYCLE}`, `${n}.history.json`));
const num = (v: string | undefined, fallback: number) => (v === undefined || v === '' ? fallback : Number(v));
const ceiling = {
  rate: num(env.BENCH_CEILING_RATE, opts.rate),
  pollMs: num(env.BENCH_CEILING_POLL_MS, 250),
  timerCapMs: num(env.BENCH_CEILING_TIMER_CAP_MS, 1000),
  histories: env.BENCH_CEILING_HISTORIES ? env.BENCH_CEILING_HISTORIES.split(',').map((f) => f.trim()) : FIXTURES,
  compare: env.BENCH_COMPARE ?? env.BENCH_CEILING_COMPARE,
};

async function startWorker(stack: Stack, shapeFile: string) {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TASK_QUEUE: stack.taskQueue,
    DB_POOL_SIZE: String(opts.dbPoolSize), // the engine worker's, which bounds its tasks (workers/limits.ts)
  };
  delete childEnv.NODE_OPTIONS;
  // With the engine worker's node flags and environment, as with its limits: like for like.
  const args = [...WORKER_NODE_FLAGS, '--import', 'tsx', 'bench/ceiling/worker.ts'];
  const worker = stack.spawnChild('worker', process.execPath, args, {
    ...WORKER_ENVIRONMENT,
    ...childEnv,
    CEILING_SHAPE_FILE: shapeFile,
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    for (const deadline = Date.now() + 120_000; ; await sleep(500)) {
      if (worker.exited) throw new Error(`the ceiling worker exited at start; see ${worker.logFile}`);
      if (Date.now() > deadline) throw new Error('the ceiling worker did not poll within 120 s');
      const res = await connection.workflowService
        .describeTaskQueue({ namespace: 'default', taskQueue: { name: stack.taskQueue }, taskQueueType: 1 })
        .catch(() => undefined);
      if ((res?.pollers?.length ?? 0) > 0) return;
    }
  } finally {
    await connection.close();
  }
}

async function measure(stack: Stack, d: NullDriver, sampler: Sampler) {
  await sampler.measureIdle(opts);
  sampler.phase = 'warmup';
  for (let i = 0; i < Math.max(1, opts.warmup); i++) {
    const run = d.launch();
    while (!run.completedAt && !run.failure) await sleep(20);
    if (run.failure) throw new Error(`warm-up lifecycle failed: ${run.failure}`);
  }
  d.runs.length = 0;
  sampler.phase = 'window';
  const windowStart = (sampler.windowStart = performance.now());
  sampler.sample();
  await openLoop(d, ceiling.rate, opts.durationSeconds, opts.concurrency, log);
  const windowEnd = performance.now();
  sampler.sample();
  sampler.phase = 'drain';
  log(`window over: ${d.runs.length} started, ${d.inFlight} in flight; draining up to ${opts.drainSeconds}s`);
  while (d.inFlight > 0 && performance.now() - windowEnd < opts.drainSeconds * 1000) await sleep(100);
  const drainSeconds = (performance.now() - windowEnd) / 1000;
  sampler.sample();
  sampler.phase = 'after';
  return { windowStart, windowEnd, windowSeconds: (windowEnd - windowStart) / 1000, drainSeconds };
}

/** Event counts of a few null lifecycles as the server recorded them (the mean per workflow): the shape as run. */
async function measuredCounts(address: string, shape: LifecycleShape, ids: string[]) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const byName: Record<string, EventCounts[]> = {};
  try {
    for (const id of ids) {
      const all = [{ id, w: shape.workflows[shape.root] }, ...childrenOf(shape, shape.workflows[shape.root], id)];
      for (const { id: wid, w } of all)
        (byName[w.name] ??= []).push(eventCounts((await client.workflow.getHandle(wid).fetchHistory()).events ?? []));
    }
  } finally {
    await connection.close();
  }
  const mean = (cs: EventCounts[]) => {
    const total = sumCounts(cs);
    for (const k of Object.keys(total) as Array<keyof EventCounts>) total[k] = round(total[k] / cs.length, 1);
    return total;
  };
  const out = Object.fromEntries(Object.entries(byName).map(([name, cs]) => [name, mean(cs)]));
  return { ...out, lifecycle: sumCounts(Object.values(out)) };
}

async function main(): Promise<number> {
  if (!idleCpusAsAsked()) return 2;
  const shape = lifecycleShape(ceiling.histories, { timerCapMs: ceiling.timerCapMs });
  const counts = Object.fromEntries(
    Object.entries(shape.source).map(([name, file]) => [name, eventCounts(readHistory(file))]),
  );
  counts.lifecycle = sumCounts(Object.values(counts));
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-ceiling`;
  const stack = new Stack(path.join(resultsDir, id));
  const shapeFile = path.join(stack.tmp, 'shape.json');
  writeFileSync(shapeFile, JSON.stringify(shape));
  let d: NullDriver | undefined;
  const sampler = new Sampler(
    () => stack.samplerRoots(),
    () => d && { started: d.runs.length, completed: d.runs.filter((r) => r.completedAt).length, inFlight: d.inFlight },
  );
  const stop = () => void stack.teardown().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.on('exit', () => stack.killAllSync());
  log(
    `ceiling: ${ceiling.rate} null lifecycles/s for ${opts.durationSeconds}s, shape of ${Object.keys(shape.workflows).join(' + ')}`,
  );
  try {
    sampler.start();
    await startTemporal(stack);
    log(`Temporal ${stack.temporalServer} at ${stack.temporalAddress}`);
    await startWorker(stack, shapeFile);
    d = new NullDriver(shape, { address: stack.temporalAddress, taskQueue: stack.taskQueue, pollMs: ceiling.pollMs });
    await d.connect();
    const times = await measure(stack, d, sampler);
    const sample = d.runs
      .filter((r) => r.completedAt)
      .slice(0, 5)
      .map((r) => r.id!);
    const measured = sample.length ? await measuredCounts(stack.temporalAddress, shape, sample) : undefined;
    sampler.stop();
    const figures = ceilingFigures(d, sampler, times);
    const cmp = ceiling.compare ? compare(ceiling.compare, figures) : undefined;
    const file = path.join(resultsDir, `${id}.json`);
    const options = { ...ceiling, durationSeconds: opts.durationSeconds, concurrency: opts.concurrency };
    const machine = machineState();
    const report = {
      id,
      temporalServer: stack.temporalServer,
      machine,
      options,
      shape,
      counts,
      measuredCounts: measured,
      ...figures,
      comparison: cmp,
    };
    writeFileSync(file, JSON.stringify(report, null, 2));
    log(`machine: ${describeMachine(machine)}`);
    printCeiling(figures, counts, measured, cmp);
    log(`report ${path.relative(ROOT, file)}`);
    return figures.throughput.failed || figures.throughput.completed < figures.throughput.started ? 1 : 0;
  } finally {
    sampler.stop();
    await d?.close();
    await stack.teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
