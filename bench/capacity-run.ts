/**
 * `npm run bench:capacity -- bench/results/<time>.json`: the capacity model's table for a bench
 * report (the arithmetic: bench/capacity.ts; docs/benchmark.md, "Capacity model"). Options, as
 * argv or environment:
 *   --peak / BENCH_PEAK                   peak-hour rate over the day's average (3)
 *   --utilisation / BENCH_UTILISATION     target utilisation of every core at the peak (0.6)
 *   --cores-per-worker / BENCH_CORES_PER_WORKER   cores one worker process uses at most (1)
 *   --orders / BENCH_ORDERS               orders a day, comma separated (1000000,10000000)
 *   --workers / BENCH_WORKERS             a cluster of this many worker processes: the cores each needs
 */
import { readFileSync } from 'node:fs';
import {
  COMPONENT_NAMES,
  COMPONENTS,
  DEFAULT_ASSUMPTIONS,
  planVolume,
  reportCpu,
  type Assumptions,
  type VolumePlan,
} from './capacity';
import { env } from './options';

function assumptions(): Assumptions {
  const num = (name: string, fallback: number) => {
    const n = Number(env[name] ?? fallback);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${env[name]}`);
    return n;
  };
  const utilisation = num('BENCH_UTILISATION', DEFAULT_ASSUMPTIONS.utilisation);
  if (utilisation > 1) throw new Error('BENCH_UTILISATION is a share of a core: at most 1');
  return {
    peakFactor: num('BENCH_PEAK', DEFAULT_ASSUMPTIONS.peakFactor),
    utilisation,
    coresPerWorker: num('BENCH_CORES_PER_WORKER', DEFAULT_ASSUMPTIONS.coresPerWorker),
    ordersPerDay: env.BENCH_ORDERS ? env.BENCH_ORDERS.split(',').map(Number) : DEFAULT_ASSUMPTIONS.ordersPerDay,
    ...(env.BENCH_WORKERS ? { workers: Math.floor(num('BENCH_WORKERS', 1)) } : {}),
  };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const orders = (n: number) => (n >= 1e6 ? `${n / 1e6} M` : n >= 1e3 ? `${n / 1e3} k` : String(n));

function table(cpuMs: Record<string, number>, plans: VolumePlan[]): string[] {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['component', 'CPU ms/lifecycle', ...plans.map((p) => `cores, ${orders(p.ordersPerDay)}/day`)]),
    row(['---', '---:', ...plans.map(() => '---:')]),
  ];
  for (const c of COMPONENTS)
    lines.push(row([COMPONENT_NAMES[c], fmt(cpuMs[c]), ...plans.map((p) => fmt(p.cores[c]))]));
  const total = COMPONENTS.reduce((t, c) => t + cpuMs[c], 0);
  lines.push(row(['**total**', fmt(total), ...plans.map((p) => `**${fmt(p.totalCores)}**`)]));
  lines.push(row(['worker processes', '', ...plans.map((p) => String(p.workerProcesses))]));
  if (plans[0]?.coresPerGivenWorker !== undefined)
    lines.push(row(['cores per given worker', '', ...plans.map((p) => fmt(p.coresPerGivenWorker!, 2))]));
  return lines;
}

function main(): number {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--') && a.endsWith('.json'));
  if (!file) {
    console.error('usage: npm run bench:capacity -- bench/results/<time>.json [--peak 3] [--utilisation 0.6] ...');
    return 2;
  }
  const a = assumptions();
  const cpu = reportCpu(JSON.parse(readFileSync(file, 'utf8')));
  const plans = a.ordersPerDay.map((n) => planVolume(cpu.cpuMs, n, a));
  console.log(
    [
      `capacity model for ${file}`,
      `Temporal server: ${cpu.temporalServer}; CPU per lifecycle ${cpu.basis}`,
      `assumptions: peak hour = ${a.peakFactor}× the day's average rate, ${fmt(a.utilisation * 100, 0)} % target utilisation, ≤ ${a.coresPerWorker} core(s) per worker process${a.workers ? `, ${a.workers} workers` : ''}`,
      ...(cpu.temporalServer.startsWith('production')
        ? []
        : [
            'note: the dev server keeps its state in SQLite inside its own process (no Temporal PostgreSQL line): size a cluster from a BENCH_TEMPORAL=production report',
          ]),
      `peak lifecycles/s: ${plans.map((p) => `${orders(p.ordersPerDay)}/day → ${fmt(p.peakPerSecond)}`).join(', ')}`,
      '',
      ...table(cpu.cpuMs, plans),
      ...plans
        .filter((p) => (p.coresPerGivenWorker ?? 0) > a.coresPerWorker)
        .map(
          (p) =>
            `note: at ${orders(p.ordersPerDay)}/day ${a.workers} workers would need ${fmt(p.coresPerGivenWorker!, 2)} cores each, more than one worker process uses (${a.coresPerWorker}): run ${p.workerProcesses}`,
        ),
    ].join('\n'),
  );
  return 0;
}

process.exitCode = main();
