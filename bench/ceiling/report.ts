/**
 * The ceiling's report: lifecycles/s, latency and CPU per lifecycle by process (measured as the
 * engine's bench measures them, bench/metrics.ts), the shape's event counts, and — given the engine's
 * report of the same sitting — the engine/ceiling ratios.
 */
import { readFileSync } from 'node:fs';
import { perLifecycle, summary, type Sampler } from '../metrics';
import { round } from '../util';
import type { NullDriver } from './driver';
import type { EventCounts } from './shape';

export interface CeilingTimes {
  windowStart: number;
  windowEnd: number;
  windowSeconds: number;
  drainSeconds: number;
}

export function ceilingFigures(d: NullDriver, sampler: Sampler, t: CeilingTimes) {
  const completed = d.runs.filter((r) => r.completedAt);
  const inWindow = completed.filter((r) => r.completedAt! <= t.windowEnd);
  const cpu = sampler.cpu(['window', 'drain']);
  const perLc = perLifecycle(cpu, completed.length, sampler.cpu(['idle']));
  return {
    throughput: {
      started: d.runs.length,
      skippedAtConcurrencyCap: d.skipped,
      completed: completed.length,
      failed: d.runs.filter((r) => r.failure).length,
      windowSeconds: round(t.windowSeconds, 2),
      drainSeconds: round(t.drainSeconds, 2),
      completedInWindowPerSecond: round(inWindow.length / t.windowSeconds, 2),
      completedPerSecondOverall: round(completed.length / (t.windowSeconds + t.drainSeconds), 2),
    },
    latencyMs: { lifecycle: summary(completed.map((r) => r.completedAt! - r.startedAt)) },
    retriesPerLifecycle: round(completed.reduce((s, r) => s + r.retries, 0) / Math.max(1, completed.length), 1),
    failures: [...new Set(d.runs.flatMap((r) => (r.failure ? [r.failure.slice(0, 200)] : [])))].slice(0, 5),
    cpu: { window: sampler.cpu(['window']), idle: sampler.cpu(['idle']), underLoad: cpu },
    /** CPU ms per completed lifecycle, net of what the idle stack burns: temporal, worker, bench (the driver). */
    cpuPerLifecycleMs: perLc && {
      temporal: perLc.temporal,
      temporalPostgres: perLc.temporalPostgres,
      worker: perLc.worker,
      driver: perLc.bench,
      /** The server with its own PostgreSQL (the production server's; 0 on the dev server) and the worker. */
      temporalPlusWorker: round(perLc.temporal + perLc.temporalPostgres + perLc.worker, 1),
    },
    memoryMb: { worker: sampler.memory.worker },
  };
}

export type CeilingFigures = ReturnType<typeof ceilingFigures>;

/** The engine's figures from its report (bench/report.ts), CPU net of idle as the ceiling's. */
function engineFigures(file: string) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const cpu = r.cpu?.perCompletedLifecycleNetOfIdleMs ?? r.cpu?.perCompletedLifecycleMs ?? {};
  const sum = (keys: string[]) =>
    round(
      keys.reduce((t, k) => t + (cpu[k] ?? 0), 0),
      1,
    );
  return {
    report: file,
    startedAt: r.startedAt,
    temporalServer: r.stack?.temporalServer ?? 'dev',
    targetPerSecond: r.throughput?.targetPerSecond,
    completedInWindowPerSecond: r.throughput?.completedInWindowPerSecond,
    completedPerSecondOverall: r.throughput?.completedPerSecondOverall,
    cpuPerLifecycleMs: {
      temporal: cpu.temporal,
      temporalPostgres: cpu.temporalPostgres,
      worker: cpu.worker,
      api: cpu.api,
      postgres: cpu.postgres,
      temporalPlusWorker: sum(['temporal', 'temporalPostgres', 'worker']),
      engine: sum(['temporal', 'temporalPostgres', 'worker', 'api', 'postgres']),
    },
  };
}

/** Engine ÷ ceiling: above 1 for CPU, below 1 for throughput, is what the engine costs over Temporal's floor. */
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 2) : null);

type ServerAndWorker = { temporal?: number; temporalPostgres?: number; temporalPlusWorker?: number };

/**
 * Server + worker CPU per lifecycle counted in the Temporal server's own (with its PostgreSQL, on the
 * production server). The server does the same work per lifecycle in the engine's run and in its
 * ceiling's (the ceiling is the engine's shape: the same service calls and persistence operations), so
 * its CPU tells how fast the machine ran during each run; the ratio of these cancels that drift, which
 * the plain ratio carries (±10 % within minutes on the 2-core machine, docs/benchmark.md).
 */
export function inServerUnits(side: ServerAndWorker | undefined): number | undefined {
  const server = (side?.temporal ?? 0) + (side?.temporalPostgres ?? 0);
  return server > 0 && side?.temporalPlusWorker ? round(side.temporalPlusWorker / server, 2) : undefined;
}

export function compare(file: string, c: CeilingFigures) {
  const e = engineFigures(file);
  const cc = c.cpuPerLifecycleMs;
  return {
    engine: e,
    ratios: {
      cpuPerLifecycle: {
        /** The whole engine (Temporal server and its PostgreSQL, worker, API, PostgreSQL) over the null lifecycle (server, its PostgreSQL, worker). */
        engineOverCeiling: ratio(e.cpuPerLifecycleMs.engine, cc?.temporalPlusWorker),
        /** Dev server and worker alone on both sides (PostgreSQL is every postgres process of the machine). */
        temporalPlusWorker: ratio(e.cpuPerLifecycleMs.temporalPlusWorker, cc?.temporalPlusWorker),
        temporalPlusWorkerInServerUnits: ratio(inServerUnits(e.cpuPerLifecycleMs), inServerUnits(cc)),
        temporal: ratio(e.cpuPerLifecycleMs.temporal, cc?.temporal),
        worker: ratio(e.cpuPerLifecycleMs.worker, cc?.worker),
      },
      throughput: {
        inWindow: ratio(e.completedInWindowPerSecond, c.throughput.completedInWindowPerSecond),
        overall: ratio(e.completedPerSecondOverall, c.throughput.completedPerSecondOverall),
      },
    },
  };
}

const pad = (s: string | number | null | undefined, n: number) => String(s ?? '-').padEnd(n);

/** The recorded shape's counts per workflow and per lifecycle, and beside them the null run's (mean of a sample). */
export function printCounts(counts: Record<string, EventCounts>, measured?: Record<string, EventCounts>) {
  const names = Object.keys(counts);
  const keys = Object.keys(counts[names[0]]) as Array<keyof EventCounts>;
  const cell = (n: string, k: keyof EventCounts) =>
    pad(measured?.[n] ? `${counts[n][k]} / ${measured[n][k]}` : counts[n][k], 20);
  const head = measured ? 'recorded / null run' : 'recorded';
  const lines = [`  ${pad(`events (${head})`, 30)}${names.map((n) => pad(n, 20)).join('')}`];
  for (const k of keys) lines.push(`  ${pad(k, 30)}${names.map((n) => cell(n, k)).join('')}`);
  return lines;
}

export function printCeiling(
  c: CeilingFigures,
  counts: Record<string, EventCounts>,
  measured: Record<string, EventCounts> | undefined,
  cmp?: ReturnType<typeof compare>,
) {
  const t = c.throughput;
  const l = c.latencyMs.lifecycle;
  const cpu = c.cpu.window?.coresUsed;
  const lines = [
    '',
    '══════════════════════════ ceiling: null lifecycles of the engine shape ══════════════════════════',
    ...printCounts(counts, measured),
    `achieved          ${t.completedInWindowPerSecond}/s in the window; ${t.completedPerSecondOverall}/s over window + drain (${t.completed} of ${t.started} started, ${t.skippedAtConcurrencyCap} skipped, ${t.failed} failed)`,
    `lifecycle (ms)    p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  max ${l.max}   (inputs sent again, too early: ${c.retriesPerLifecycle} per lifecycle)`,
    cpu
      ? `CPU (cores)       temporal ${cpu.temporal}  temporalPostgres ${cpu.temporalPostgres}  worker ${cpu.worker}  driver ${cpu.bench}  other ${cpu.other}  (busy ${cpu.systemBusy} of ${c.cpu.window!.cores})`
      : 'CPU               n/a',
    `CPU ms/lifecycle  ${Object.entries(c.cpuPerLifecycleMs ?? {})
      .map(([k, v]) => `${k} ${v}`)
      .join('  ')}  (window + drain, net of idle)`,
    `worker RSS        peak ${c.memoryMb.worker.peakMb} MB`,
  ];
  if (cmp) {
    const r = cmp.ratios;
    const e = cmp.engine;
    lines.push(
      `── engine / ceiling (engine report ${e.report}, ${e.startedAt}; Temporal server ${e.temporalServer})`,
      `  ${pad('', 34)}${pad('engine', 12)}${pad('ceiling', 12)}ratio`,
      `  ${pad('CPU ms/lifecycle, whole stack', 34)}${pad(e.cpuPerLifecycleMs.engine, 12)}${pad(c.cpuPerLifecycleMs?.temporalPlusWorker, 12)}${r.cpuPerLifecycle.engineOverCeiling}`,
      `  ${pad('CPU ms/lifecycle, server + worker', 34)}${pad(e.cpuPerLifecycleMs.temporalPlusWorker, 12)}${pad(c.cpuPerLifecycleMs?.temporalPlusWorker, 12)}${r.cpuPerLifecycle.temporalPlusWorker}`,
      `  ${pad('    in server CPU (drift cancelled)', 34)}${pad(inServerUnits(e.cpuPerLifecycleMs), 12)}${pad(inServerUnits(c.cpuPerLifecycleMs), 12)}${r.cpuPerLifecycle.temporalPlusWorkerInServerUnits}`,
      `  ${pad('CPU ms/lifecycle, Temporal server', 34)}${pad(e.cpuPerLifecycleMs.temporal, 12)}${pad(c.cpuPerLifecycleMs?.temporal, 12)}${r.cpuPerLifecycle.temporal}`,
      `  ${pad('CPU ms/lifecycle, worker', 34)}${pad(e.cpuPerLifecycleMs.worker, 12)}${pad(c.cpuPerLifecycleMs?.worker, 12)}${r.cpuPerLifecycle.worker}`,
      `  ${pad('lifecycles/s in the window', 34)}${pad(e.completedInWindowPerSecond, 12)}${pad(t.completedInWindowPerSecond, 12)}${r.throughput.inWindow}`,
      `  ${pad('lifecycles/s, window + drain', 34)}${pad(e.completedPerSecondOverall, 12)}${pad(t.completedPerSecondOverall, 12)}${r.throughput.overall}`,
      '  (throughput ratios compare capacity only when both runs were saturated: completed/s below the target)',
    );
  }
  for (const f of c.failures) lines.push(`FAILURE           ${f}`);
  if ((cpu?.other ?? 0) > 0.2)
    lines.push(`WARNING           processes outside the stack used ${cpu!.other} cores during the window`);
  lines.push('═'.repeat(98), '');
  console.log(lines.join('\n'));
}
