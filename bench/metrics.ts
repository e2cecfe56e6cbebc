/**
 * What the bench measures besides the order lifecycles themselves: the API latency recorder and
 * percentiles, memory and CPU of the stack's processes sampled from /proc, the Temporal server's
 * own metrics, and workflow histories read with the Temporal client.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { round, sleep } from './util';

// ── Latencies of the API calls ──────────────────────────────────────────────────────────────────

export type Kind = 'submit' | 'get' | 'paymentWebhook' | 'logisticsWebhook' | 'confirm';

export class Metrics {
  readonly latency: Record<Kind, number[]> = {
    submit: [],
    get: [],
    paymentWebhook: [],
    logisticsWebhook: [],
    confirm: [],
  };
  /** `<kind> <status>` → count, for every non-2xx answer (status 0: the request itself failed). */
  readonly errors = new Map<string, number>();
  serverErrors = 0;
  recording = false;

  error(kind: Kind, status: number) {
    const key = `${kind} ${status || 'network'}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    if (status >= 500) this.serverErrors += 1;
  }
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[i]);
}

export function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return {
    count: s.length,
    p50: percentile(s, 50),
    p95: percentile(s, 95),
    p99: percentile(s, 99),
    max: s.length ? round(s[s.length - 1]) : null,
    mean: s.length ? round(s.reduce((t, v) => t + v, 0) / s.length) : null,
  };
}

// ── /proc sampling: memory and CPU of the processes of the stack ────────────────────────────────

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // Linux's usual value
}

interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  ticks: number; // utime + stime
}

function readProcs(): Map<number, ProcInfo> {
  const procs = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' '); // f[0] = state (field 3)
      procs.set(Number(entry), { pid: Number(entry), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  return procs;
}

/** The parent of a PostgreSQL backend: its server's postmaster (undefined when the server is not on this machine). */
export function postmasterOf(backendPid: number): number | undefined {
  const procs = readProcs();
  const isPostgres = (p?: ProcInfo) => Boolean(p?.comm.startsWith('postgres'));
  const backend = procs.get(backendPid);
  return backend && isPostgres(backend) && isPostgres(procs.get(backend.ppid)) ? backend.ppid : undefined;
}

function treeOf(root: number | undefined, procs: Map<number, ProcInfo>): number[] {
  if (!root || !procs.has(root)) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const p of procs.values()) if (p.ppid === out[i]) out.push(p.pid);
  return out;
}

function memoryOf(pid: number): { rssKb: number; hwmKb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

function systemTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.slice(0, 8).reduce((t, v) => t + v, 0);
  return { busy: total - idle, total };
}

/** postgres: the engine's PostgreSQL; temporalPostgres: the production Temporal server's own. */
type Group = 'temporal' | 'temporalPostgres' | 'worker' | 'api' | 'bench' | 'postgres';
type Roots = Partial<Record<'temporal' | 'temporalPostgres' | 'worker' | 'api' | 'postgres', number>>;
export interface Sample {
  t: number; // seconds since the window started
  phase: 'setup' | 'idle' | 'warmup' | 'window' | 'drain' | 'after';
  rssMb: { worker?: number; api?: number };
  load?: Record<string, number>;
  /** CPU ticks used since the previous sample, by group of processes and by the whole system. */
  delta: Record<Group, number> & { systemBusy: number; systemTotal: number };
  /** CPU ticks since the previous sample of each process outside the stack (other users of the machine). */
  others: Map<number, { comm: string; ticks: number }>;
}

export interface ProcMemory {
  pid?: number;
  peakMb: number;
  endMb: number;
  hwmMb: number;
  treePeakMb: number;
  treeEndMb: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  readonly memory: Record<'worker' | 'api', ProcMemory> = {
    worker: { peakMb: 0, endMb: 0, hwmMb: 0, treePeakMb: 0, treeEndMb: 0 },
    api: { peakMb: 0, endMb: 0, hwmMb: 0, treePeakMb: 0, treeEndMb: 0 },
  };
  private timer?: NodeJS.Timeout;
  private previous = new Map<number, number>();
  private previousSystem = systemTicks();
  phase: Sample['phase'] = 'setup';
  windowStart = 0;

  constructor(
    private readonly roots: () => Roots,
    private readonly load: () => Record<string, number> | undefined,
  ) {}

  start() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }

  sample() {
    const procs = readProcs();
    const roots = this.roots();
    // Per process, ticks since the previous sample (a process that started meanwhile: all of its ticks).
    const since = (pid: number) => Math.max(0, (procs.get(pid)?.ticks ?? 0) - (this.previous.get(pid) ?? 0));
    const sum = (pids: number[]) => pids.reduce((t, pid) => t + since(pid), 0);
    const trees = {
      temporal: treeOf(roots.temporal, procs),
      worker: treeOf(roots.worker, procs),
      api: treeOf(roots.api, procs),
    };
    const temporalPostgres = treeOf(roots.temporalPostgres, procs);
    // The engine's server when its postmaster is known; else every other PostgreSQL of the machine.
    const postgres = roots.postgres
      ? treeOf(roots.postgres, procs)
      : [...procs.values()]
          .filter((p) => p.comm === 'postgres' || p.comm.startsWith('postgres:'))
          .map((p) => p.pid)
          .filter((pid) => !temporalPostgres.includes(pid));
    const sys = systemTicks();
    const rssMb: Sample['rssMb'] = {};
    for (const name of ['worker', 'api'] as const) {
      const tree = trees[name];
      if (tree.length === 0) continue;
      // tsx runs the script in a child node process: the largest process of the tree is the real one.
      const mems = tree
        .map((pid) => ({ pid, m: memoryOf(pid) }))
        .filter((x): x is { pid: number; m: { rssKb: number; hwmKb: number } } => Boolean(x.m));
      if (mems.length === 0) continue;
      const main = mems.reduce((a, b) => (b.m.rssKb > a.m.rssKb ? b : a));
      const treeKb = mems.reduce((t, x) => t + x.m.rssKb, 0);
      const mem = this.memory[name];
      mem.pid = main.pid;
      mem.endMb = round(main.m.rssKb / 1024);
      mem.hwmMb = round(main.m.hwmKb / 1024);
      mem.peakMb = Math.max(mem.peakMb, mem.endMb, mem.hwmMb);
      mem.treeEndMb = round(treeKb / 1024);
      mem.treePeakMb = Math.max(mem.treePeakMb, mem.treeEndMb);
      rssMb[name] = mem.endMb;
    }
    const mine = new Set([...Object.values(trees).flat(), ...temporalPostgres, ...postgres, process.pid, process.ppid]);
    const others = new Map<number, { comm: string; ticks: number }>();
    for (const p of procs.values())
      if (!mine.has(p.pid) && since(p.pid) > 0) others.set(p.pid, { comm: p.comm, ticks: since(p.pid) });
    this.samples.push({
      t: this.windowStart ? round((performance.now() - this.windowStart) / 1000) : 0,
      phase: this.phase,
      rssMb,
      load: this.load(),
      delta: {
        temporal: sum(trees.temporal),
        temporalPostgres: sum(temporalPostgres),
        worker: sum(trees.worker),
        api: sum(trees.api),
        bench: since(process.pid),
        postgres: sum(postgres),
        systemBusy: sys.busy - this.previousSystem.busy,
        systemTotal: sys.total - this.previousSystem.total,
      },
      others,
    });
    this.previous = new Map([...procs.values()].map((p) => [p.pid, p.ticks]));
    this.previousSystem = sys;
  }

  /**
   * What the stack burns doing nothing (pollers, timers, the Temporal server's housekeeping), after it
   * settles: a process just ready still compiles and collects what its start-up left, which read as
   * 0.11 cores of an idle worker instead of 0.03 and so overstated what "net of idle" takes away.
   */
  async measureIdle({ settleSeconds, idleSeconds }: { settleSeconds: number; idleSeconds: number }) {
    await sleep(settleSeconds * 1000); // still counted as setup
    this.phase = 'idle';
    this.sample();
    await sleep(idleSeconds * 1000);
    this.sample();
  }

  /** Average cores used by each group over the samples of the given phases. */
  cpu(phases: Sample['phase'][]) {
    const inPhase = this.samples.filter((s) => phases.includes(s.phase)).slice(1); // the first one's delta precedes the phase
    if (inPhase.length < 1) return undefined;
    const cores = os.cpus().length;
    const total = (g: keyof Sample['delta']) => inPhase.reduce((t, s) => t + s.delta[g], 0);
    const seconds = total('systemTotal') / CLK_TCK / cores;
    if (seconds <= 0) return undefined;
    const use = (g: keyof Sample['delta']) => round(total(g) / CLK_TCK / seconds, 2);
    const groups = {
      temporal: use('temporal'),
      temporalPostgres: use('temporalPostgres'),
      worker: use('worker'),
      api: use('api'),
      bench: use('bench'),
      postgres: use('postgres'),
    };
    const systemBusy = use('systemBusy');
    const known = Object.values(groups).reduce((t, v) => t + v, 0);
    const otherTicks = new Map<number, { comm: string; ticks: number }>();
    for (const s of inPhase)
      for (const [pid, p] of s.others)
        otherTicks.set(pid, { comm: p.comm, ticks: (otherTicks.get(pid)?.ticks ?? 0) + p.ticks });
    const topOthers = [...otherTicks.entries()]
      .map(([pid, p]) => ({ pid, comm: p.comm, cores: round(p.ticks / CLK_TCK / seconds, 2) }))
      .filter((p) => p.cores >= 0.02)
      .sort((x, y) => y.cores - x.cores)
      .slice(0, 5);
    return {
      seconds: round(seconds),
      cores,
      coresUsed: { ...groups, other: round(Math.max(0, systemBusy - known), 2), systemBusy },
      topOthers,
    };
  }
}

export function perLifecycle(cpu: ReturnType<Sampler['cpu']>, completed: number, idle?: ReturnType<Sampler['cpu']>) {
  if (!cpu || completed === 0) return undefined;
  const base = (k: string) => (idle ? ((idle.coresUsed as Record<string, number>)[k] ?? 0) : 0);
  const stack = ['temporal', 'temporalPostgres', 'worker', 'api', 'postgres', 'bench'];
  const out: Record<string, number> = Object.fromEntries(
    Object.entries(cpu.coresUsed)
      .filter(([k]) => !idle || stack.includes(k)) // the machine's other users are not the stack's cost
      .map(([k, cores]) => [k, round((Math.max(0, cores - base(k)) * cpu.seconds * 1000) / completed, 1)]),
  );
  out.stackTotal = round(
    stack.reduce((t, k) => t + (out[k] ?? 0), 0),
    1,
  );
  return out;
}

// ── The Temporal server's own metrics ─────────────────────────────────────────────────────────────

/** Sums and counts of the Temporal server's latency histograms, by metric and operation (seconds). */
export type TemporalMetrics = Map<string, { sum: number; count: number }>;

export async function scrapeTemporalMetrics(port: number): Promise<TemporalMetrics | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const out: TemporalMetrics = new Map();
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+)_(sum|count)(?:\{([^}]*)\})? ([0-9.eE+-]+)$/.exec(line);
      if (!m) continue;
      const op = /operation="([^"]*)"/.exec(m[3] ?? '')?.[1] ?? '';
      const key = `${m[1]} ${op}`.trim();
      const entry = out.get(key) ?? { sum: 0, count: 0 };
      entry[m[2] as 'sum' | 'count'] += Number(m[4]);
      out.set(key, entry);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Where the Temporal server spent its time between two scrapes: the histograms with the largest total. */
export function temporalHotspots(
  a: TemporalMetrics | undefined,
  b: TemporalMetrics | undefined,
  seconds: number,
  top = 20,
) {
  if (!a || !b) return undefined;
  return (
    [...b.entries()]
      .map(([key, v]) => {
        const before = a.get(key) ?? { sum: 0, count: 0 };
        const count = v.count - before.count;
        const sum = v.sum - before.sum;
        return {
          metric: key,
          perSecond: round(count / seconds, 1),
          meanMs: count ? round((sum / count) * 1000, 2) : 0,
          totalSeconds: round(sum, 2),
        };
      })
      // long polls wait by design: not where time is lost
      .filter(
        (x) =>
          x.perSecond > 0 &&
          /latency|duration/.test(x.metric) &&
          !/_nouserlatency|_userlatency|_attempt|long_request|Poll[A-Za-z]*TaskQueue|poll_latency/.test(x.metric),
      )
      .sort((x, y) => y.totalSeconds - x.totalSeconds)
      .slice(0, top)
  );
}

/** Frontend calls and persistence operations of the Temporal server per completed lifecycle (window + drain). */
export function temporalCalls(a: TemporalMetrics | undefined, b: TemporalMetrics | undefined, completed: number) {
  if (!a || !b || completed === 0) return undefined;
  const per = (prefix: string) =>
    Object.fromEntries(
      [...b.entries()]
        .filter(([key]) => key.startsWith(`${prefix} `))
        .map(
          ([key, v]) =>
            [key.slice(prefix.length + 1), round((v.count - (a.get(key)?.count ?? 0)) / completed, 1)] as const,
        )
        .filter(([, n]) => n >= 0.5)
        .sort((x, y) => y[1] - x[1]),
    );
  const frontend = per('service_latency');
  const persistence = per('persistence_latency');
  const total = (o: Record<string, number>) =>
    round(
      Object.values(o).reduce((t, v) => t + v, 0),
      1,
    );
  return {
    serviceCalls: { total: total(frontend), ...frontend },
    persistenceOps: { total: total(persistence), ...persistence },
  };
}

// ── Workflow histories, read with the Temporal client ───────────────────────────────────────────

async function withClient<T>(address: string, use: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}

/** `workflowTaskFailedEventAttributes: {...}` → workflowTaskFailed. */
const eventType = (e: object) =>
  Object.keys(e)
    .find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k])
    ?.replace(/EventAttributes$/, '') ?? 'unknown';

export async function historySizes(address: string, orderIds: string[]) {
  const orders: number[] = [];
  const shipments: number[] = [];
  const orderTypes: Record<string, number> = {};
  const shipmentTypes: Record<string, number> = {};
  await withClient(address, async (client) => {
    /** Adds the workflow's event count and its events by type (throws when there is no such workflow). */
    const count = async (workflowId: string, counts: number[], types: Record<string, number>) => {
      const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
      counts.push(events.length);
      for (const e of events) types[eventType(e)] = (types[eventType(e)] ?? 0) + 1;
    };
    for (const id of orderIds) {
      await count(`order-${id}`, orders, orderTypes);
      await count(`shipment-${id}-1`, shipments, shipmentTypes).catch(() => undefined);
    }
  });
  const stats = (v: number[]) =>
    v.length
      ? {
          sampled: v.length,
          mean: round(v.reduce((t, x) => t + x, 0) / v.length),
          min: Math.min(...v),
          max: Math.max(...v),
        }
      : { sampled: 0 };
  const perOrder = (types: Record<string, number>, n: number) =>
    Object.fromEntries(
      Object.entries(types)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, round(v / Math.max(1, n), 1)]),
    );
  return {
    orderWorkflow: { ...stats(orders), meanByType: perOrder(orderTypes, orders.length) },
    shipmentWorkflow: { ...stats(shipments), meanByType: perOrder(shipmentTypes, shipments.length) },
  };
}

/** What Temporal recorded for an order that did not complete: failed workflow tasks, last events. */
export function diagnose(address: string, orderIds: string[]) {
  return withClient(address, async (client) => {
    const out: Record<string, unknown> = {};
    for (const id of orderIds) {
      try {
        const handle = client.workflow.getHandle(`order-${id}`);
        const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
        const events = history.events ?? [];
        const failedTasks = events
          .filter((e) => e.workflowTaskFailedEventAttributes)
          .map((e) => ({
            cause: e.workflowTaskFailedEventAttributes!.cause,
            message: e.workflowTaskFailedEventAttributes!.failure?.message?.slice(0, 400),
          }));
        out[id] = {
          status: description.status.name,
          events: events.length,
          failedTasks: failedTasks.slice(0, 5),
          lastEvents: events.slice(-8).map(eventType),
        };
      } catch (err) {
        out[id] = { error: (err as Error).message };
      }
    }
    return out;
  });
}
