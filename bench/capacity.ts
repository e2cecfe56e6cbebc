/**
 * The capacity model (docs/benchmark.md, "Capacity model"): from a benchmark report's CPU per
 * lifecycle by component, the cores each component needs for a number of orders a day. Pure
 * arithmetic; bench/capacity-run.ts reads the report and prints the table.
 *
 *   peak lifecycles/s = orders a day ÷ 86 400 × peak factor
 *   busy cores        = peak lifecycles/s × CPU ms per lifecycle ÷ 1000
 *   cores             = busy cores ÷ target utilisation
 *   worker processes  = ⌈worker cores ÷ cores per worker process⌉
 */

export const SECONDS_PER_DAY = 86_400;

/** What runs in production, as the report names it; the bench's driver is not one of them. */
export const COMPONENTS = ['temporal', 'temporalPostgres', 'worker', 'api', 'postgres'] as const;
export type Component = (typeof COMPONENTS)[number];

export const COMPONENT_NAMES: Record<Component, string> = {
  temporal: 'Temporal server',
  temporalPostgres: "Temporal's PostgreSQL",
  worker: 'workers',
  api: 'API',
  postgres: "engine's PostgreSQL",
};

export interface Assumptions {
  /** Peak-hour rate over the day's average rate. */
  peakFactor: number;
  /** The share of a core each component may use at the peak, headroom for spikes and failover. */
  utilisation: number;
  /** Cores one worker process uses at most (a Node worker runs workflow code on one thread). */
  coresPerWorker: number;
  ordersPerDay: number[];
  /** When given: the cores each of this many worker processes needs. */
  workers?: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  peakFactor: 3,
  utilisation: 0.6,
  coresPerWorker: 1,
  ordersPerDay: [1_000_000, 10_000_000],
};

export const peakLifecyclesPerSecond = (ordersPerDay: number, peakFactor: number) =>
  (ordersPerDay / SECONDS_PER_DAY) * peakFactor;

export const busyCores = (cpuMsPerLifecycle: number, lifecyclesPerSecond: number) =>
  (cpuMsPerLifecycle * lifecyclesPerSecond) / 1000;

export interface VolumePlan {
  ordersPerDay: number;
  peakPerSecond: number;
  /** Cores per component at the target utilisation. */
  cores: Record<Component, number>;
  totalCores: number;
  workerProcesses: number;
  /** With Assumptions.workers: the cores each of them needs. */
  coresPerGivenWorker?: number;
}

export function planVolume(cpuMs: Record<Component, number>, ordersPerDay: number, a: Assumptions): VolumePlan {
  const peakPerSecond = peakLifecyclesPerSecond(ordersPerDay, a.peakFactor);
  const cores = Object.fromEntries(
    COMPONENTS.map((c) => [c, busyCores(cpuMs[c], peakPerSecond) / a.utilisation]),
  ) as Record<Component, number>;
  return {
    ordersPerDay,
    peakPerSecond,
    cores,
    totalCores: COMPONENTS.reduce((t, c) => t + cores[c], 0),
    workerProcesses: Math.max(1, Math.ceil(cores.worker / a.coresPerWorker - 1e-9)),
    ...(a.workers ? { coresPerGivenWorker: cores.worker / a.workers } : {}),
  };
}

export interface ReportCpu {
  cpuMs: Record<Component, number>;
  /** Which of the report's figures: net of the idle stack (the marginal cost), or gross. */
  basis: 'net of idle' | 'gross';
  temporalServer: string;
}

/** CPU ms per completed lifecycle by component from a bench report (bench/report.ts); a missing component is 0. */
export function reportCpu(report: any): ReportCpu {
  const net = report?.cpu?.perCompletedLifecycleNetOfIdleMs;
  const figures = net ?? report?.cpu?.perCompletedLifecycleMs;
  if (!figures) throw new Error('the report has no CPU per completed lifecycle (no lifecycle completed?)');
  const cpuMs = Object.fromEntries(COMPONENTS.map((c) => [c, Number(figures[c] ?? 0)])) as Record<Component, number>;
  return { cpuMs, basis: net ? 'net of idle' : 'gross', temporalServer: report?.stack?.temporalServer || 'dev' };
}
