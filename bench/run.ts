/**
 * Load generator and benchmark report (`npm run bench`).
 *
 * Brings up its own local stack — a Temporal dev server (free port, temporary SQLite file, raised
 * rate limits), a fresh PostgreSQL database (migrated, seeded, stock raised so it never runs out),
 * then the worker and the API as two separate child processes — and drives whole order lifecycles
 * through the HTTP API only, at an open-loop target rate with bounded in-flight work:
 *
 *   POST /v1/orders → (wechat_pay: signed payment.succeeded webhook) → poll GET /v1/orders/{id} until
 *   the shipments have tracking numbers → signed courier webhooks picked_up, in_transit,
 *   out_for_delivery, delivered → POST /v1/orders/{id}/confirm-receipt → status completed.
 *
 * It prints a report and writes it as JSON to bench/results/<timestamp>.json (the children's logs
 * go next to it). Exit code 1 when an order was lost or the API answered 5xx; 2 when the stack
 * could not be brought up. The stack is always torn down (children killed, database dropped), also
 * on failure and Ctrl-C.
 *
 * Options (environment, or argv as --rate=25, --duration=60, --concurrency=250, ...):
 *   BENCH_RATE                 target orders started per second (default 25)
 *   BENCH_DURATION_SECONDS     measurement window (default 60)
 *   BENCH_CONCURRENCY          max lifecycles in flight; arrivals beyond it are skipped and reported
 *                              (default 10 s of arrivals: 250 at 25/s, at least 50)
 *   BENCH_POLL_MS              first GET polling interval per order and stage (default 150)
 *   BENCH_POLL_MAX_MS          polling backs off ×1.5 up to this (default 1000; = BENCH_POLL_MS for fixed)
 *   BENCH_DRAIN_SECONDS        how long to wait for in-flight orders after the window (default 60)
 *   BENCH_WECHAT_SHARE         share of orders paid by WeChat Pay (default 0.1)
 *   BENCH_IDLE_SECONDS         CPU of the idle stack is measured this long before the warm-up (default 5)
 *   BENCH_WARMUP               lifecycles run one by one before the window, not counted (default 3)
 *   BENCH_HISTORY_SAMPLE       completed orders whose Temporal histories are counted (default 20)
 *   BENCH_ADMIN_DATABASE_URL   PostgreSQL server to create the database on
 *                              (default postgresql://postgres:postgres@127.0.0.1:5432/postgres)
 *   BENCH_DB_POOL_SIZE         DB_POOL_SIZE of the worker and the API (default 10)
 *   BENCH_TEMPORAL_LIMIT       value of the raised dev-server rate limits (default 5000)
 *   BENCH_DYNAMIC_CONFIG       extra dev-server dynamic config, comma separated KEY=JSON pairs (scalars),
 *                              e.g. history.shardIOConcurrency=4
 *   BENCH_SQLITE_PRAGMAS       dev-server SQLite pragmas, comma separated PRAGMA=VALUE pairs (default: WAL, as npm start)
 *   WORKER_MAX_CONCURRENT_*    passed through to the worker (config/index.ts)
 *   BENCH_WORKER_NODE_ARGS, BENCH_API_NODE_ARGS
 *                              node flags for the worker / API (then run as `node <flags> --import tsx <script>`),
 *                              e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see where their CPU goes
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { webhookSecret } from '../adapters/secrets';
import { signWebhook } from '../adapters/signing';
import { createDb } from '../prisma/client';
import { applyMigrations } from '../scripts/migrations';
import { DEMO_STORE_SKUS, seedDemoCatalog } from '../scripts/seed';
import { findTemporalCli } from '../scripts/temporal-cli';

const ROOT = path.resolve(__dirname, '..');
const KEYS = { platform: 'dev-platform-key', support: 'dev-support-key' } as const;
const TRACKING_STEPS = ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const;
const TERMINAL_OTHER = new Set(['cancelled', 'rejected']);

// ── Options ──────────────────────────────────────────────────────────────────────────────────────

/** `--rate=10` or `--rate 10` → BENCH_RATE; `--duration` is short for BENCH_DURATION_SECONDS. */
function argvOptions(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const alias: Record<string, string> = { DURATION: 'DURATION_SECONDS', DRAIN: 'DRAIN_SECONDS' };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-zA-Z][\w-]*)(?:=(.*))?$/.exec(argv[i]);
    if (!m) continue;
    let name = m[1].toUpperCase().replace(/-/g, '_');
    name = alias[name] ?? name;
    const value = m[2] ?? (argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true');
    out[`BENCH_${name}`] = value;
  }
  return out;
}

const env: NodeJS.ProcessEnv = { ...process.env, ...argvOptions(process.argv.slice(2)) };
function num(name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const opts = {
  rate: num('BENCH_RATE', 25, 0.1),
  durationSeconds: num('BENCH_DURATION_SECONDS', 60, 1),
  concurrency: 0, // set below: it defaults to 10 s of arrivals
  pollMs: num('BENCH_POLL_MS', 150, 10),
  pollMaxMs: num('BENCH_POLL_MAX_MS', 1000, 10),
  drainSeconds: num('BENCH_DRAIN_SECONDS', 60, 0),
  wechatShare: Math.min(1, num('BENCH_WECHAT_SHARE', 0.1, 0)),
  warmup: Math.floor(num('BENCH_WARMUP', 3, 0)),
  idleSeconds: num('BENCH_IDLE_SECONDS', 5, 0),
  historySample: Math.floor(num('BENCH_HISTORY_SAMPLE', 20, 0)),
  adminDatabaseUrl: env.BENCH_ADMIN_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres',
  dbPoolSize: Math.floor(num('BENCH_DB_POOL_SIZE', 10, 1)),
  temporalLimit: num('BENCH_TEMPORAL_LIMIT', 5000, 1),
  dynamicConfig: (env.BENCH_DYNAMIC_CONFIG ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  sqlitePragmas: (env.BENCH_SQLITE_PRAGMAS ?? 'journal_mode=WAL,synchronous=NORMAL').split(',').map((s) => s.trim()).filter(Boolean),
};

opts.concurrency = Math.floor(num('BENCH_CONCURRENCY', Math.max(50, Math.ceil(opts.rate * 10)), 1));

// ── Small helpers ────────────────────────────────────────────────────────────────────────────────

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const stamp = () => new Date().toISOString().replace(/[:.]/g, '-');
const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[i]);
}

function summary(values: number[]) {
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

type Group = 'temporal' | 'worker' | 'api' | 'bench' | 'postgres';
interface Sample {
  t: number; // seconds since the window started
  phase: 'setup' | 'idle' | 'warmup' | 'window' | 'drain' | 'after';
  rssMb: { worker?: number; api?: number };
  load?: Record<string, number>;
  /** CPU ticks used since the previous sample, by group of processes and by the whole system. */
  delta: Record<Group, number> & { systemBusy: number; systemTotal: number };
  /** CPU ticks since the previous sample of each process outside the stack (other users of the machine). */
  others: Map<number, { comm: string; ticks: number }>;
}

interface ProcMemory {
  pid?: number;
  peakMb: number;
  endMb: number;
  hwmMb: number;
  treePeakMb: number;
  treeEndMb: number;
}

class Sampler {
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
    private readonly roots: () => Partial<Record<'temporal' | 'worker' | 'api', number>>,
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
    const trees = { temporal: treeOf(roots.temporal, procs), worker: treeOf(roots.worker, procs), api: treeOf(roots.api, procs) };
    const postgres = [...procs.values()].filter((p) => p.comm === 'postgres' || p.comm.startsWith('postgres:')).map((p) => p.pid);
    const sys = systemTicks();
    const rssMb: Sample['rssMb'] = {};
    for (const name of ['worker', 'api'] as const) {
      const tree = trees[name];
      if (tree.length === 0) continue;
      // tsx runs the script in a child node process: the largest process of the tree is the real one.
      const mems = tree.map((pid) => ({ pid, m: memoryOf(pid) })).filter((x): x is { pid: number; m: { rssKb: number; hwmKb: number } } => Boolean(x.m));
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
    const mine = new Set([...trees.temporal, ...trees.worker, ...trees.api, ...postgres, process.pid, process.ppid]);
    const others = new Map<number, { comm: string; ticks: number }>();
    for (const p of procs.values()) if (!mine.has(p.pid) && since(p.pid) > 0) others.set(p.pid, { comm: p.comm, ticks: since(p.pid) });
    this.samples.push({
      t: this.windowStart ? round((performance.now() - this.windowStart) / 1000) : 0,
      phase: this.phase,
      rssMb,
      load: this.load(),
      delta: {
        temporal: sum(trees.temporal),
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

  /** Average cores used by each group over the samples of the given phases. */
  cpu(phases: Sample['phase'][]) {
    const inPhase = this.samples.filter((s) => phases.includes(s.phase)).slice(1); // the first one's delta precedes the phase
    if (inPhase.length < 1) return undefined;
    const cores = os.cpus().length;
    const total = (g: keyof Sample['delta']) => inPhase.reduce((t, s) => t + s.delta[g], 0);
    const seconds = total('systemTotal') / CLK_TCK / cores;
    if (seconds <= 0) return undefined;
    const use = (g: keyof Sample['delta']) => round(total(g) / CLK_TCK / seconds, 2);
    const groups = { temporal: use('temporal'), worker: use('worker'), api: use('api'), bench: use('bench'), postgres: use('postgres') };
    const systemBusy = use('systemBusy');
    const known = Object.values(groups).reduce((t, v) => t + v, 0);
    const otherTicks = new Map<number, { comm: string; ticks: number }>();
    for (const s of inPhase)
      for (const [pid, p] of s.others) otherTicks.set(pid, { comm: p.comm, ticks: (otherTicks.get(pid)?.ticks ?? 0) + p.ticks });
    const topOthers = [...otherTicks.entries()]
      .map(([pid, p]) => ({ pid, comm: p.comm, cores: round(p.ticks / CLK_TCK / seconds, 2) }))
      .filter((p) => p.cores >= 0.02)
      .sort((x, y) => y.cores - x.cores)
      .slice(0, 5);
    return { seconds: round(seconds), cores, coresUsed: { ...groups, other: round(Math.max(0, systemBusy - known), 2), systemBusy }, topOthers };
  }
}

// ── The stack ────────────────────────────────────────────────────────────────────────────────────

interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  /** How long a graceful stop took (undefined: it had to be killed). */
  stopSeconds?: number;
}

class Stack {
  readonly tmp = mkdtempSync(path.join(os.tmpdir(), 'orders-bench-'));
  readonly children: Child[] = [];
  readonly cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  temporalAddress = '';
  temporalMetricsPort = 0;
  databaseUrl = '';
  apiUrl = '';
  taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  private tearingDown?: Promise<void>;

  constructor(readonly logPrefix: string) {
    this.cleanups.push({ name: 'temp dir', run: async () => rmSync(this.tmp, { recursive: true, force: true }) });
  }

  child(name: string) {
    return this.children.find((c) => c.name === name);
  }

  /** A child in its own process group (so Ctrl-C reaches only the bench, which stops it in order). */
  spawnChild(name: string, command: string, args: string[], childEnv: NodeJS.ProcessEnv): Child {
    const logFile = `${this.logPrefix}.${name}.log`;
    const fd = openSync(logFile, 'a');
    const proc = spawn(command, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    const child: Child = { name, proc, logFile };
    proc.once('exit', (code, signal) => {
      child.exited = { code, signal };
      if (!this.tearingDown) log(`!! ${name} exited unexpectedly (code ${code}, signal ${signal}); see ${logFile}`);
    });
    this.children.push(child);
    this.cleanups.push({ name, run: () => stopGroup(child) });
    return child;
  }

  teardown(): Promise<void> {
    this.tearingDown ??= (async () => {
      for (const c of [...this.cleanups].reverse()) {
        try {
          await c.run();
        } catch (err) {
          log(`cleanup of ${c.name} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.tearingDown;
  }

  /** Synchronous last resort (process 'exit'): kill whatever is still running. */
  killAllSync() {
    for (const c of this.children) if (!c.exited && c.proc.pid) try { process.kill(-c.proc.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

async function stopGroup(child: Child, graceMs = 10_000): Promise<void> {
  const pid = child.proc.pid;
  if (!pid || child.exited) return;
  const exited = new Promise<void>((r) => child.proc.once('exit', () => r()));
  const t0 = performance.now();
  try {
    // The leader only: tsx relays the signal to the script's process, which then shuts down gracefully.
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) {
    log(`${child.name} did not stop within ${graceMs / 1000}s: killing it`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
    await Promise.race([exited, sleep(2000)]);
  } else {
    child.stopSeconds = round((performance.now() - t0) / 1000, 2);
    // the group's other members (tsx's child) may outlive the leader by a moment
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function startTemporal(stack: Stack): Promise<void> {
  const cli = findTemporalCli();
  if (!cli) throw new Error('Temporal CLI not found (set TEMPORAL_CLI_PATH or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`)');
  const port = await freePort();
  const limit = String(opts.temporalLimit);
  const dynamic = [
    'frontend.enableUpdateWorkflowExecution=true',
    ...['frontend.rps', 'frontend.namespaceRPS', 'history.rps', 'matching.rps'].map((k) => `${k}=${limit}`),
    ...['frontend.persistenceMaxQPS', 'history.persistenceMaxQPS', 'matching.persistenceMaxQPS', 'worker.persistenceMaxQPS', 'system.visibilityPersistenceMaxReadQPS', 'system.visibilityPersistenceMaxWriteQPS'].map((k) => `${k}=${limit}`),
    ...['frontend.persistenceNamespaceMaxQPS', 'history.persistenceNamespaceMaxQPS', 'matching.persistenceNamespaceMaxQPS'].map((k) => `${k}=${limit}`),
    ...opts.dynamicConfig,
  ];
  stack.temporalMetricsPort = await freePort();
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--metrics-port', String(stack.temporalMetricsPort), '--db-filename', path.join(stack.tmp, 'temporal.db'), '--log-level', 'warn'];
  for (const d of dynamic) args.push('--dynamic-config-value', d);
  for (const p of opts.sqlitePragmas) args.push('--sqlite-pragma', p);
  stack.spawnChild('temporal', cli, args, process.env);
  stack.temporalAddress = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const exited = stack.child('temporal')!.exited;
    if (exited) throw new Error(`the Temporal dev server exited at start (code ${exited.code}); see ${stack.child('temporal')!.logFile}`);
    try {
      const connection = await Connection.connect({ address: stack.temporalAddress, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        // the default namespace is registered a moment after the frontend answers
        await connection.workflowService.describeNamespace({ namespace: 'default' });
      } finally {
        await connection.close();
      }
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal dev server did not start at ${stack.temporalAddress}: ${(err as Error).message}`);
      await sleep(250);
    }
  }
}

/** Sums and counts of the dev server's latency histograms, by metric and operation (seconds). */
type TemporalMetrics = Map<string, { sum: number; count: number }>;

async function scrapeTemporalMetrics(port: number): Promise<TemporalMetrics | undefined> {
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

/** Where the dev server spent its time between two scrapes: the histograms with the largest total. */
function temporalHotspots(a: TemporalMetrics | undefined, b: TemporalMetrics | undefined, seconds: number, top = 20) {
  if (!a || !b) return undefined;
  return [...b.entries()]
    .map(([key, v]) => {
      const before = a.get(key) ?? { sum: 0, count: 0 };
      const count = v.count - before.count;
      const sum = v.sum - before.sum;
      return { metric: key, perSecond: round(count / seconds, 1), meanMs: count ? round((sum / count) * 1000, 2) : 0, totalSeconds: round(sum, 2) };
    })
    // long polls wait by design: not where time is lost
    .filter((x) => x.perSecond > 0 && /latency|duration/.test(x.metric) && !/_nouserlatency|_userlatency|_attempt|long_request|Poll[A-Za-z]*TaskQueue|poll_latency/.test(x.metric))
    .sort((x, y) => y.totalSeconds - x.totalSeconds)
    .slice(0, top);
}

/** Frontend calls and persistence operations of the dev server per completed lifecycle (window + drain). */
function temporalCalls(a: TemporalMetrics | undefined, b: TemporalMetrics | undefined, completed: number) {
  if (!a || !b || completed === 0) return undefined;
  const per = (prefix: string) =>
    Object.fromEntries(
      [...b.entries()]
        .filter(([key]) => key.startsWith(`${prefix} `))
        .map(([key, v]) => [key.slice(prefix.length + 1), round((v.count - (a.get(key)?.count ?? 0)) / completed, 1)] as const)
        .filter(([, n]) => n >= 0.5)
        .sort((x, y) => y[1] - x[1]),
    );
  const frontend = per('service_latency');
  const persistence = per('persistence_latency');
  const total = (o: Record<string, number>) => round(Object.values(o).reduce((t, v) => t + v, 0), 1);
  return { serviceCalls: { total: total(frontend), ...frontend }, persistenceOps: { total: total(persistence), ...persistence } };
}

async function createDatabase(stack: Stack): Promise<void> {
  const dbName = `orders_bench_${Date.now()}_${process.pid}`;
  const admin = new PgClient({ connectionString: opts.adminDatabaseUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${opts.adminDatabaseUrl} (set BENCH_ADMIN_DATABASE_URL): ${(err as Error).message}`);
  }
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  stack.cleanups.push({
    name: `database ${dbName}`,
    run: async () => {
      const c = new PgClient({ connectionString: opts.adminDatabaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  });
  const url = new URL(opts.adminDatabaseUrl);
  url.pathname = `/${dbName}`;
  stack.databaseUrl = url.toString();

  await applyMigrations(stack.databaseUrl);
  const db = createDb(stack.databaseUrl, 2);
  try {
    await seedDemoCatalog(db);
  } finally {
    await db.$disconnect();
  }
  const pg = new PgClient({ connectionString: stack.databaseUrl });
  await pg.connect();
  try {
    const { rowCount } = await pg.query('UPDATE inventory SET on_hand = 10000000 WHERE sku = ANY($1::text[])', [[...SKUS]]);
    log(`database ${dbName}: migrated, seeded, stock of ${SKUS.length} SKUs raised (${rowCount} inventory rows)`);
  } finally {
    await pg.end();
  }
}

async function startEngine(stack: Stack): Promise<void> {
  const apiPort = await freePort();
  stack.apiUrl = `http://127.0.0.1:${apiPort}`;
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.API_KEYS; // the bench uses the documented development keys
  delete base.NODE_OPTIONS;
  Object.assign(base, {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: stack.taskQueue,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    PUBLIC_BASE_URL: stack.apiUrl,
    LOG_LEVEL: 'warn',
    DB_POOL_SIZE: String(opts.dbPoolSize),
  });
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  // With node flags (profiling), node runs tsx's loader itself: `node <flags> --import tsx <script>`.
  const launch = (name: string, script: string, nodeArgs: string | undefined) =>
    nodeArgs
      ? stack.spawnChild(name, process.execPath, [...nodeArgs.split(/\s+/).filter(Boolean), '--import', 'tsx', script], base)
      : stack.spawnChild(name, tsx, [script], base);
  launch('worker', 'workers/main.ts', env.BENCH_WORKER_NODE_ARGS);
  launch('api', 'api/main.ts', env.BENCH_API_NODE_ARGS);

  const deadline = Date.now() + 180_000;
  let apiReady = false;
  let workerReady = false;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    while (!(apiReady && workerReady)) {
      for (const name of ['worker', 'api']) {
        const exited = stack.child(name)!.exited;
        if (exited) throw new Error(`the ${name} exited at start (code ${exited.code}):\n${tail(stack.child(name)!.logFile)}`);
      }
      if (Date.now() > deadline) throw new Error(`the engine was not ready within 180s (api ${apiReady}, worker ${workerReady})`);
      if (!apiReady) apiReady = await fetch(`${stack.apiUrl}/readyz`).then((r) => r.ok, () => false);
      if (!workerReady) {
        // The worker bundles its workflows at start; it is ready once it polls the task queue.
        const res = await connection.workflowService
          .describeTaskQueue({ namespace: 'default', taskQueue: { name: stack.taskQueue }, taskQueueType: 1 /* WORKFLOW */ })
          .catch(() => undefined);
        workerReady = (res?.pollers?.length ?? 0) > 0;
      }
      if (!(apiReady && workerReady)) await sleep(500);
    }
  } finally {
    await connection.close();
  }
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ── The load ─────────────────────────────────────────────────────────────────────────────────────

// Every SKU of the auto-accepting demo merchant (stock raised, so the scarce one is fine too).
const SKUS = DEMO_STORE_SKUS;
const PROVINCES = [
  { province: '上海', city: '上海市', district: '浦东新区', postalCode: '200120' },
  { province: '北京', city: '北京市', district: '大兴区', postalCode: '102600' },
  { province: '广东', city: '广州市', district: '白云区', postalCode: '510080' },
];

type Kind = 'submit' | 'get' | 'paymentWebhook' | 'logisticsWebhook' | 'confirm';

class Metrics {
  readonly latency: Record<Kind, number[]> = { submit: [], get: [], paymentWebhook: [], logisticsWebhook: [], confirm: [] };
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

interface OrderRun {
  n: number;
  method: 'card' | 'wechat_pay';
  startedAt: number;
  orderId?: string;
  /** performance.now() when each stage ended: submitted, paid (wechat), tracking, webhooks, delivered, completed. */
  marks: Partial<Record<Mark, number>>;
  completedAt?: number;
  lastStatus?: string;
  failure?: string;
  shipments?: number;
  stage: string;
  gets: number;
  /** `<kind> <status>` of every 5xx this order's requests got. */
  serverErrors: string[];
}
type Mark = 'submitted' | 'paid' | 'tracking' | 'webhooks' | 'delivered' | 'completed';

class HttpError extends Error {
  constructor(readonly kind: Kind, readonly status: number, readonly body: string) {
    super(`${kind} → ${status || 'network error'} ${body.slice(0, 300)}`);
  }
}

const retryable = (err: unknown) => err instanceof HttpError && (err.status >= 500 || err.status === 0);

class Driver {
  readonly runs: OrderRun[] = [];
  readonly metrics = new Metrics();
  inFlight = 0;
  skipped = 0;
  private readonly abort = new AbortController();
  aborted = false;

  constructor(private readonly apiUrl: string) {
    // Every fetch listens on this one signal; undici drops its listeners lazily, so no limit applies.
    setMaxListeners(0, this.abort.signal);
  }

  stopAll() {
    this.aborted = true;
    this.abort.abort();
  }

  private async request(run: OrderRun, kind: Kind, method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string): Promise<any> {
    const t0 = performance.now();
    let status = 0;
    let text = '';
    try {
      const res = await fetch(`${this.apiUrl}${url}`, { method, headers, body, signal: this.abort.signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (this.aborted) throw new Error('aborted');
      text = (err as Error).message;
    }
    const ms = performance.now() - t0;
    if (this.metrics.recording) {
      this.metrics.latency[kind].push(ms);
      if (status < 200 || status >= 300) this.metrics.error(kind, status);
    }
    if (status >= 500) run.serverErrors.push(`${kind} ${status}`);
    if (status < 200 || status >= 300) throw new HttpError(kind, status, text);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * Retries 5xx and failed requests a few times with backoff, as couriers, payment providers and a
   * careful client do (each failure is still counted in errorsByStatus). Only for idempotent calls.
   */
  private async withRetry<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await call();
      } catch (err) {
        if (i >= attempts || !retryable(err) || this.aborted) throw err;
        await sleep(200 * 2 ** (i - 1));
      }
    }
  }

  /**
   * Polls the order until `done`: the first GET after opts.pollMs, then backing off ×1.5 up to
   * opts.pollMaxMs, so waiting orders do not flood the API. A cancelled or rejected order ends the
   * lifecycle; 404 (projection not written yet) and 5xx are retried (and counted).
   */
  private async pollUntil(run: OrderRun, stage: string, done: (o: any) => boolean): Promise<any> {
    run.stage = stage;
    let interval = opts.pollMs;
    for (;;) {
      if (this.aborted) throw new Error('aborted');
      await sleep(interval * (0.9 + Math.random() * 0.2));
      interval = Math.min(opts.pollMaxMs, interval * 1.5);
      let order: any;
      try {
        run.gets += 1;
        order = await this.request(run, 'get', 'GET', `/v1/orders/${run.orderId}`, { authorization: `Bearer ${KEYS.support}` });
      } catch (err) {
        if (err instanceof HttpError && (err.status === 404 || retryable(err))) continue;
        throw err;
      }
      run.lastStatus = order.status;
      if (done(order)) return order;
      if (TERMINAL_OTHER.has(order.status)) throw new Error(`order ended ${order.status}: ${JSON.stringify(order.cancellation ?? order.rejection)}`);
    }
  }

  /** A provider's signed webhook; a redelivery after a 5xx carries the same event id, as providers do. */
  private postSigned(run: OrderRun, kind: Kind, url: string, secret: string, payload: object) {
    const raw = JSON.stringify(payload);
    return this.withRetry(() => this.request(run, kind, 'POST', url, { 'content-type': 'application/json', 'x-signature': signWebhook(secret, raw) }, raw));
  }

  orderBody(method: OrderRun['method']) {
    const place = PROVINCES[Math.floor(Math.random() * PROVINCES.length)];
    const first = Math.floor(Math.random() * SKUS.length);
    const skus = [SKUS[first]];
    if (Math.random() < 0.3) skus.push(SKUS[(first + 1 + Math.floor(Math.random() * (SKUS.length - 1))) % SKUS.length]);
    const customerId = `bench-${randomUUID()}`; // a fresh customer per order: velocity rules never trip
    return {
      channel: 'bench',
      customer: { id: customerId, name: '王小明', phone: '+86 139 0000 0000', email: 'bench@example.com' },
      shippingAddress: { recipient: '王小明', phone: '+86 139 0000 0000', line1: '测试路 1 号', ...place },
      lines: skus.map((sku) => ({ sku, quantity: 1 + Math.floor(Math.random() * 2) })),
      paymentMethod: method,
      ...(method === 'card' ? { card: { token: 'tok_visa' } } : {}),
    };
  }

  async lifecycle(run: OrderRun): Promise<void> {
    const mark = (m: Mark) => (run.marks[m] = performance.now());
    run.stage = 'submit';
    const body = JSON.stringify(this.orderBody(run.method));
    const idempotencyKey = randomUUID(); // a retry after a 5xx reuses it: the same order, never a second one
    const created = await this.withRetry(() =>
      this.request(run, 'submit', 'POST', '/v1/orders', { 'content-type': 'application/json', authorization: `Bearer ${KEYS.platform}`, 'idempotency-key': idempotencyKey }, body),
    );
    run.orderId = created.id;
    run.lastStatus = created.status;
    mark('submitted');

    if (run.method === 'wechat_pay') {
      const awaiting = await this.pollUntil(run, 'awaiting payment', (o) => o.status === 'awaiting_payment' && o.payments?.[0]?.status === 'pending');
      run.stage = 'payment webhook';
      await this.postSigned(run, 'paymentWebhook', '/v1/webhooks/payments/wechat_pay', webhookSecret('wechat_pay'), {
        eventId: `evt_bench_${randomUUID()}`,
        type: 'payment.succeeded',
        paymentId: awaiting.payments[0].paymentId,
        orderId: run.orderId,
        amount: awaiting.totals.total,
        currency: awaiting.totals.currency,
        occurredAt: new Date().toISOString(),
      });
      mark('paid');
    }

    const booked = await this.pollUntil(run, 'tracking numbers', (o) => o.shipments?.length > 0 && o.shipments.every((s: any) => s.trackingNumber));
    mark('tracking');
    run.shipments = booked.shipments.length;
    run.stage = 'courier webhooks';
    await Promise.all(
      booked.shipments.map(async (s: any) => {
        for (const type of TRACKING_STEPS) {
          await this.postSigned(run, 'logisticsWebhook', `/v1/webhooks/logistics/${s.courier}`, webhookSecret(s.courier), {
            eventId: `trk_bench_${randomUUID()}`,
            trackingNumber: s.trackingNumber,
            type,
            location: 'Bench hub',
            ...(type === 'delivered' ? { signedBy: '王小明' } : {}),
            occurredAt: new Date().toISOString(),
          });
        }
      }),
    );
    mark('webhooks');

    await this.pollUntil(run, 'delivered', (o) => o.status === 'delivered' || o.status === 'completed');
    mark('delivered');
    run.stage = 'confirm';
    let confirmed: any;
    try {
      confirmed = await this.withRetry(() =>
        this.request(run, 'confirm', 'POST', `/v1/orders/${run.orderId}/confirm-receipt`, { 'content-type': 'application/json', authorization: `Bearer ${KEYS.platform}` }, '{}'),
      );
    } catch (err) {
      // 409 after a retried confirm: the first attempt may have gone through; the GET below decides.
      if (!(err instanceof HttpError && err.status === 409)) throw err;
    }
    run.lastStatus = confirmed?.status ?? run.lastStatus;
    if (confirmed?.status !== 'completed') await this.pollUntil(run, 'completed', (o) => o.status === 'completed');
    run.lastStatus = 'completed';
    run.stage = 'done';
    run.completedAt = mark('completed');
  }

  launch(n: number): OrderRun {
    const run: OrderRun = { n, method: Math.random() < opts.wechatShare ? 'wechat_pay' : 'card', startedAt: performance.now(), stage: 'start', marks: {}, gets: 0, serverErrors: [] };
    this.runs.push(run);
    this.inFlight += 1;
    this.lifecycle(run)
      .catch((err: Error) => {
        run.failure = this.aborted && err.message === 'aborted' ? `still in flight at stage "${run.stage}"` : `${run.stage}: ${err.message}`;
      })
      .finally(() => {
        this.inFlight -= 1;
      });
    return run;
  }
}

/** How long each part of the lifecycle took, over completed orders (ms). */
function stageDurations(runs: OrderRun[]) {
  const between = (from: (r: OrderRun) => number | undefined, to: (r: OrderRun) => number | undefined) =>
    summary(runs.map((r) => (from(r) !== undefined && to(r) !== undefined ? to(r)! - from(r)! : NaN)).filter((v) => !Number.isNaN(v)));
  return {
    submit: between((r) => r.startedAt, (r) => r.marks.submitted),
    wechatSubmittedToPaid: between((r) => r.marks.submitted, (r) => r.marks.paid),
    toTrackingNumbers: between((r) => r.marks.paid ?? r.marks.submitted, (r) => r.marks.tracking),
    courierWebhooks: between((r) => r.marks.tracking, (r) => r.marks.webhooks),
    webhooksToDelivered: between((r) => r.marks.webhooks, (r) => r.marks.delivered),
    confirmToCompleted: between((r) => r.marks.delivered, (r) => r.marks.completed),
  };
}

function perLifecycle(cpu: ReturnType<Sampler['cpu']>, completed: number, idle?: ReturnType<Sampler['cpu']>) {
  if (!cpu || completed === 0) return undefined;
  const base = (k: string) => (idle ? ((idle.coresUsed as Record<string, number>)[k] ?? 0) : 0);
  const stack = ['temporal', 'worker', 'api', 'postgres', 'bench'];
  const out: Record<string, number> = Object.fromEntries(
    Object.entries(cpu.coresUsed)
      .filter(([k]) => !idle || stack.includes(k)) // the machine's other users are not the stack's cost
      .map(([k, cores]) => [k, round((Math.max(0, cores - base(k)) * cpu.seconds * 1000) / completed, 1)]),
  );
  out.stackTotal = round(stack.reduce((t, k) => t + (out[k] ?? 0), 0), 1);
  return out;
}

// ── History size, read with the Temporal client ─────────────────────────────────────────────────

async function historySizes(address: string, orderIds: string[]) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const count = async (workflowId: string) => {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const types: Record<string, number> = {};
    for (const e of events) {
      const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k]);
      const name = key ? key.replace(/EventAttributes$/, '') : 'unknown';
      types[name] = (types[name] ?? 0) + 1;
    }
    return { events: events.length, types };
  };
  const orders: number[] = [];
  const shipments: number[] = [];
  const orderTypes: Record<string, number> = {};
  const shipmentTypes: Record<string, number> = {};
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  };
  try {
    for (const id of orderIds) {
      const o = await count(`order-${id}`);
      orders.push(o.events);
      add(orderTypes, o.types);
      const s = await count(`shipment-${id}-1`).catch(() => undefined);
      if (s) {
        shipments.push(s.events);
        add(shipmentTypes, s.types);
      }
    }
  } finally {
    await connection.close();
  }
  const stats = (v: number[]) => (v.length ? { sampled: v.length, mean: round(v.reduce((t, x) => t + x, 0) / v.length), min: Math.min(...v), max: Math.max(...v) } : { sampled: 0 });
  const perOrder = (types: Record<string, number>, n: number) =>
    Object.fromEntries(Object.entries(types).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / Math.max(1, n), 1)]));
  return {
    orderWorkflow: { ...stats(orders), meanByType: perOrder(orderTypes, orders.length) },
    shipmentWorkflow: { ...stats(shipments), meanByType: perOrder(shipmentTypes, shipments.length) },
  };
}

/** What Temporal recorded for an order that did not complete: failed workflow tasks, last events. */
async function diagnose(address: string, orderIds: string[]) {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const out: Record<string, unknown> = {};
  try {
    for (const id of orderIds) {
      try {
        const handle = client.workflow.getHandle(`order-${id}`);
        const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
        const events = history.events ?? [];
        const typeOf = (e: object) => Object.keys(e).find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k])?.replace(/EventAttributes$/, '') ?? 'unknown';
        const failedTasks = events
          .filter((e) => e.workflowTaskFailedEventAttributes)
          .map((e) => ({ cause: e.workflowTaskFailedEventAttributes!.cause, message: e.workflowTaskFailedEventAttributes!.failure?.message?.slice(0, 400) }));
        out[id] = { status: description.status.name, events: events.length, failedTasks: failedTasks.slice(0, 5), lastEvents: events.slice(-8).map(typeOf) };
      } catch (err) {
        out[id] = { error: (err as Error).message };
      }
    }
  } finally {
    await connection.close();
  }
  return out;
}

// ── Main ─────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const id = stamp();
  const stack = new Stack(path.join(resultsDir, id));
  let driver: Driver | undefined;
  let reportFile: string | undefined;
  const sampler = new Sampler(
    () => ({ temporal: stack.child('temporal')?.proc.pid, worker: stack.child('worker')?.proc.pid, api: stack.child('api')?.proc.pid }),
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

  log(`target ${opts.rate} orders/s for ${opts.durationSeconds}s, ≤${opts.concurrency} in flight, poll ${opts.pollMs}ms, ${Math.round(opts.wechatShare * 100)}% wechat_pay`);
  const setupStarted = performance.now();
  try {
    sampler.start();
    await startTemporal(stack);
    log(`Temporal dev server at ${stack.temporalAddress} (pid ${stack.child('temporal')!.proc.pid})`);
    await createDatabase(stack);
    await startEngine(stack);
    log(`worker (pid ${stack.child('worker')!.proc.pid}) and API ${stack.apiUrl} (pid ${stack.child('api')!.proc.pid}) ready after ${round((performance.now() - setupStarted) / 1000)}s`);
  } catch (err) {
    log(`setup failed: ${(err as Error).message}`);
    sampler.stop();
    await stack.teardown();
    return 2;
  }

  try {
    driver = new Driver(stack.apiUrl);
    const d = driver;

    // Idle: what the stack burns doing nothing (pollers, timers, the dev server's own housekeeping).
    sampler.phase = 'idle';
    sampler.sample();
    await sleep(opts.idleSeconds * 1000);
    sampler.sample();

    // Warm-up: a few lifecycles one by one (JIT, connection pools, workflow cache), not counted.
    sampler.phase = 'warmup';
    for (let i = 0; i < opts.warmup && !interrupted; i++) {
      const run = d.launch(-1 - i);
      while (!run.completedAt && !run.failure) await sleep(20);
      if (run.failure) {
        const why = run.orderId ? await diagnose(stack.temporalAddress, [run.orderId]).catch((e) => ({ error: (e as Error).message })) : {};
        throw new Error(`warm-up lifecycle failed: ${run.failure}\n${JSON.stringify(why, null, 2)}`);
      }
    }
    if (opts.warmup) log(`warm-up: ${opts.warmup} lifecycle(s) in ${round((d.runs.at(-1)!.completedAt! - d.runs[0].startedAt) / 1000, 2)}s`);
    d.runs.length = 0;

    // The window: open-loop arrivals at the target rate, bounded in flight.
    const metricsBefore = await scrapeTemporalMetrics(stack.temporalMetricsPort);
    d.metrics.recording = true;
    const windowStart = performance.now();
    sampler.windowStart = windowStart;
    sampler.phase = 'window';
    sampler.sample();
    const windowMs = opts.durationSeconds * 1000;
    let launched = 0;
    let nextProgress = 5000;
    while (!interrupted) {
      const elapsed = performance.now() - windowStart;
      if (elapsed >= windowMs) break;
      const due = Math.min(Math.floor((elapsed / 1000) * opts.rate) + 1, Math.ceil(opts.durationSeconds * opts.rate));
      while (launched < due) {
        launched += 1;
        if (d.inFlight >= opts.concurrency) d.skipped += 1;
        else d.launch(launched);
      }
      if (elapsed >= nextProgress) {
        nextProgress += 5000;
        const done = d.runs.filter((r) => r.completedAt).length;
        const failed = d.runs.filter((r) => r.failure).length;
        log(`t=${Math.round(elapsed / 1000)}s started ${d.runs.length} completed ${done} in flight ${d.inFlight} failed ${failed} skipped ${d.skipped} 5xx ${d.metrics.serverErrors}`);
      }
      await sleep(Math.max(1, Math.min(20, 1000 / opts.rate / 2)));
    }
    const windowEnd = performance.now();
    const windowSeconds = (windowEnd - windowStart) / 1000;
    sampler.sample();
    const metricsAfter = await scrapeTemporalMetrics(stack.temporalMetricsPort);
    sampler.phase = 'drain';

    // Drain: in-flight orders may finish; after that they count as lost.
    const drainStart = performance.now();
    log(`window over: ${d.runs.length} started, ${d.inFlight} in flight; draining up to ${opts.drainSeconds}s`);
    while (d.inFlight > 0 && !interrupted && performance.now() - drainStart < opts.drainSeconds * 1000) await sleep(100);
    const drainSeconds = (performance.now() - drainStart) / 1000;
    sampler.sample();
    const metricsDrained = await scrapeTemporalMetrics(stack.temporalMetricsPort);
    sampler.phase = 'after';
    d.metrics.recording = false;
    if (d.inFlight > 0) {
      d.stopAll();
      const until = performance.now() + 5000;
      while (d.inFlight > 0 && performance.now() < until) await sleep(50);
    }
    if (interrupted) return 130;

    // Results.
    const runs = d.runs;
    const submitted = runs.filter((r) => r.orderId);
    const completed = runs.filter((r) => r.completedAt);
    const completedInWindow = completed.filter((r) => r.completedAt! <= windowEnd);
    const notCompleted = submitted.filter((r) => !r.completedAt);
    const stuck = notCompleted.filter((r) => r.failure?.startsWith('still in flight'));
    const failedSubmits = runs.filter((r) => !r.orderId);
    const failuresByReason = new Map<string, number>();
    for (const r of runs.filter((x) => x.failure)) {
      const reason = r.failure!.replace(/ord_[0-9a-z]+/g, 'ord_…').replace(/(SF|YT)\d{12}/g, '$1…').slice(0, 160);
      failuresByReason.set(reason, (failuresByReason.get(reason) ?? 0) + 1);
    }
    // The read model's status of each order the bench did not see complete: did the engine finish it late,
    // or is it really stuck?
    const dbStatus = new Map<string, string>();
    if (notCompleted.length) {
      const pg = new PgClient({ connectionString: stack.databaseUrl });
      try {
        await pg.connect();
        const { rows } = await pg.query<{ id: string; status: string }>('SELECT id, status FROM orders WHERE id = ANY($1::text[])', [notCompleted.map((r) => r.orderId!)]);
        for (const row of rows) dbStatus.set(row.id, row.status);
      } catch (err) {
        log(`could not read the orders' status from the database: ${(err as Error).message}`);
      } finally {
        await pg.end().catch(() => {});
      }
    }
    const lostByDbStatus = new Map<string, number>();
    for (const r of notCompleted) lostByDbStatus.set(dbStatus.get(r.orderId!) ?? 'no row', (lostByDbStatus.get(dbStatus.get(r.orderId!) ?? 'no row') ?? 0) + 1);
    const lostByStatus = new Map<string, number>();
    for (const r of notCompleted) lostByStatus.set(`${r.lastStatus ?? 'unknown'} @ ${r.stage}`, (lostByStatus.get(`${r.lastStatus ?? 'unknown'} @ ${r.stage}`) ?? 0) + 1);

    const ops = await fetch(`${stack.apiUrl}/v1/ops/orders?stuck=true`, { headers: { authorization: `Bearer ${KEYS.support}` } })
      .then(async (r) => (r.ok ? { status: r.status, stuck: ((await r.json()) as { items?: unknown[] }).items?.length ?? null } : { status: r.status, stuck: null }))
      .catch(() => ({ status: 0, stuck: null }));

    sampler.sample();
    const sample = [...completed].sort(() => Math.random() - 0.5).slice(0, opts.historySample).map((r) => r.orderId!);
    const histories = sample.length ? await historySizes(stack.temporalAddress, sample).catch((err) => ({ error: (err as Error).message })) : undefined;
    const diagnosis = notCompleted.length
      ? await diagnose(stack.temporalAddress, notCompleted.filter((r) => r.orderId).slice(0, 5).map((r) => r.orderId!)).catch((err) => ({ error: (err as Error).message }))
      : undefined;
    // Orders that got a 5xx (even if a retry then went through): what Temporal recorded for them.
    const with5xx = runs.filter((r) => r.orderId && r.serverErrors.length);
    const serverErrorDiagnosis = with5xx.length
      ? await diagnose(stack.temporalAddress, with5xx.slice(0, 5).map((r) => r.orderId!)).catch((err) => ({ error: (err as Error).message }))
      : undefined;
    sampler.stop();

    const lifecycleMs = completed.map((r) => r.completedAt! - r.startedAt);
    const cardLifecycle = completed.filter((r) => r.method === 'card').map((r) => r.completedAt! - r.startedAt);
    const wechatLifecycle = completed.filter((r) => r.method === 'wechat_pay').map((r) => r.completedAt! - r.startedAt);
    const m = d.metrics;
    const report = {
      id,
      startedAt: new Date(Date.now() - (performance.now() - windowStart)).toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGb: round(os.totalmem() / 2 ** 30), node: process.version },
      options: opts,
      stack: { temporal: stack.temporalAddress, api: stack.apiUrl, taskQueue: stack.taskQueue, setupSeconds: round((windowStart - setupStarted) / 1000) },
      throughput: {
        targetPerSecond: opts.rate,
        windowSeconds: round(windowSeconds, 2),
        drainSeconds: round(drainSeconds, 2),
        started: runs.length,
        skippedAtConcurrencyCap: d.skipped,
        submitted: submitted.length,
        completed: completed.length,
        completedInWindow: completedInWindow.length,
        completedInWindowPerSecond: round(completedInWindow.length / windowSeconds, 2),
        completedTotalPerWindowSecond: round(completed.length / windowSeconds, 2),
        /** Completions over the whole time they took (window + drain): the sustained throughput. */
        completedPerSecondOverall: round(completed.length / (windowSeconds + drainSeconds), 2),
        /** Completions per second in the last half of the window (steady state, if the rate is sustainable). */
        completedPerSecondSecondHalf: round(
          completed.filter((r) => r.completedAt! > windowStart + (windowEnd - windowStart) / 2 && r.completedAt! <= windowEnd).length / (windowSeconds / 2),
          2,
        ),
        submittedPerSecond: round(submitted.length / windowSeconds, 2),
        byMethod: {
          card: { started: runs.filter((r) => r.method === 'card').length, completed: completed.filter((r) => r.method === 'card').length },
          wechat_pay: { started: runs.filter((r) => r.method === 'wechat_pay').length, completed: completed.filter((r) => r.method === 'wechat_pay').length },
        },
        shipmentsPerOrder: round(completed.reduce((t, r) => t + (r.shipments ?? 0), 0) / Math.max(1, completed.length), 2),
      },
      latencyMs: {
        submit: summary(m.latency.submit),
        get: summary(m.latency.get),
        logisticsWebhook: summary(m.latency.logisticsWebhook),
        paymentWebhook: summary(m.latency.paymentWebhook),
        confirm: summary(m.latency.confirm),
        lifecycle: summary(lifecycleMs),
        lifecycleCard: summary(cardLifecycle),
        lifecycleWechat: summary(wechatLifecycle),
      },
      requests: {
        total: Object.values(m.latency).reduce((t, v) => t + v.length, 0),
        getsPerCompletedOrder: round(m.latency.get.length / Math.max(1, completed.length), 1),
      },
      errorsByStatus: Object.fromEntries([...m.errors.entries()].sort()),
      serverErrors: m.serverErrors,
      serverErrorOrders: {
        count: with5xx.length,
        completedAnyway: with5xx.filter((r) => r.completedAt).length,
        examples: with5xx.slice(0, 5).map((r) => ({ orderId: r.orderId, errors: r.serverErrors, completed: Boolean(r.completedAt) })),
        temporalDiagnosis: serverErrorDiagnosis,
      },
      orders: {
        lost: notCompleted.length,
        stuck: stuck.length,
        failedSubmits: failedSubmits.length,
        lostByStatusAndStage: Object.fromEntries(lostByStatus),
        /** Status in the read model (orders table) after the drain, of the orders not seen completed. */
        lostByDatabaseStatus: Object.fromEntries(lostByDbStatus),
        failures: Object.fromEntries(failuresByReason),
        opsStuckEndpoint: ops,
        examples: notCompleted.slice(0, 10).map((r) => ({ orderId: r.orderId, method: r.method, lastStatus: r.lastStatus, databaseStatus: dbStatus.get(r.orderId!), stage: r.stage, failure: r.failure })),
        temporalDiagnosis: diagnosis,
      },
      historyEvents: histories,
      temporalServerHotspotsInWindow: temporalHotspots(metricsBefore, metricsAfter, windowSeconds),
      temporalCallsPerCompletedLifecycle: temporalCalls(metricsBefore, metricsDrained, completed.length),
      memoryMb: sampler.memory,
      cpu: {
        window: sampler.cpu(['window']),
        drain: sampler.cpu(['drain']),
        setup: sampler.cpu(['setup']),
        idle: sampler.cpu(['idle']),
        /** CPU milliseconds per completed lifecycle, over the window and the drain (GET polling included). */
        perCompletedLifecycleMs: perLifecycle(sampler.cpu(['window', 'drain']), completed.length),
        /** The same, less what the idle stack burns anyway. */
        perCompletedLifecycleNetOfIdleMs: perLifecycle(sampler.cpu(['window', 'drain']), completed.length, sampler.cpu(['idle'])),
      },
      stagesMs: stageDurations(completed),
      timeline: sampler.samples.filter((s) => s.phase === 'window' || s.phase === 'drain').map((s) => ({ t: s.t, phase: s.phase, rssMb: s.rssMb, ...s.load })),
      logs: Object.fromEntries(stack.children.map((c) => [c.name, path.relative(ROOT, c.logFile)])),
      childExits: Object.fromEntries(stack.children.filter((c) => c.exited).map((c) => [c.name, c.exited])),
    };
    const other = report.cpu.window?.coresUsed.other ?? 0;
    (report as Record<string, unknown>).warnings = [
      ...(other > 0.2 ? [`processes outside the stack used ${other} of ${os.cpus().length} cores during the window (see cpu.window.topOthers): the figures understate the engine`] : []),
      ...(d.skipped ? [`${d.skipped} arrivals were skipped at the in-flight cap of ${opts.concurrency}`] : []),
    ];
    const file = path.join(resultsDir, `${id}.json`);
    reportFile = file;
    writeFileSync(file, JSON.stringify(report, null, 2));
    printReport(report, path.relative(ROOT, file));
    const ok = report.orders.lost === 0 && report.serverErrors === 0 && Object.keys(report.childExits).length === 0;
    return ok ? 0 : 1;
  } catch (err) {
    log(`bench failed: ${(err as Error).stack ?? err}`);
    driver?.stopAll();
    return 1;
  } finally {
    sampler.stop();
    driver?.stopAll();
    log('tearing the stack down');
    await stack.teardown();
    const stops = Object.fromEntries(stack.children.map((c) => [c.name, c.stopSeconds ?? 'killed']));
    log(`graceful stop (s): ${JSON.stringify(stops)}`);
    if (reportFile) writeFileSync(reportFile, JSON.stringify({ ...JSON.parse(readFileSync(reportFile, 'utf8')), gracefulStopSeconds: stops }, null, 2));
    for (const c of stack.children) if (existsSync(c.logFile) && readFileSync(c.logFile, 'utf8').trim() === '') rmSync(c.logFile);
  }
}

function printReport(r: any, file: string) {
  const l = r.latencyMs;
  const fmt = (s: any, keys: string[]) => keys.map((k) => `${k} ${s[k] ?? '-'}`).join('  ');
  const mem = (x: ProcMemory) => `peak ${x.peakMb} MB, end ${x.endMb} MB (with tsx wrapper: peak ${x.treePeakMb}, end ${x.treeEndMb})`;
  const cpu = r.cpu.window?.coresUsed;
  const lines = [
    '',
    '══════════════════════════ order lifecycle benchmark ══════════════════════════',
    `target            ${r.throughput.targetPerSecond} lifecycles/s for ${r.throughput.windowSeconds}s (drain ${r.throughput.drainSeconds}s)`,
    `achieved          ${r.throughput.completedInWindowPerSecond} completed/s within the window (${r.throughput.completedInWindow}); ` +
      `${r.throughput.completedTotalPerWindowSecond}/s counting the drain (${r.throughput.completed} of ${r.throughput.submitted} submitted, ${r.throughput.started} started, ${r.throughput.skippedAtConcurrencyCap} skipped at the cap)`,
    `sustained         ${r.throughput.completedPerSecondOverall}/s over window + drain; ${r.throughput.completedPerSecondSecondHalf}/s in the window's second half`,
    `submit  (ms)      ${fmt(l.submit, ['p50', 'p95', 'p99', 'max'])}   n=${l.submit.count}`,
    `GET     (ms)      ${fmt(l.get, ['p50', 'p99', 'max'])}   n=${l.get.count} (${r.requests.getsPerCompletedOrder} per completed order)`,
    `webhook (ms)      logistics ${fmt(l.logisticsWebhook, ['p50', 'p99'])} n=${l.logisticsWebhook.count};  payment ${fmt(l.paymentWebhook, ['p50', 'p99'])} n=${l.paymentWebhook.count}`,
    `confirm (ms)      ${fmt(l.confirm, ['p50', 'p99', 'max'])}   n=${l.confirm.count}`,
    `lifecycle (ms)    ${fmt(l.lifecycle, ['p50', 'p95', 'p99', 'max'])}   (card p50 ${l.lifecycleCard.p50}, wechat_pay p50 ${l.lifecycleWechat.p50})`,
    `history events    ${r.historyEvents ? (r.historyEvents.error ? `error: ${r.historyEvents.error}` : `order workflow mean ${r.historyEvents.orderWorkflow.mean} (min ${r.historyEvents.orderWorkflow.min}, max ${r.historyEvents.orderWorkflow.max}, n=${r.historyEvents.orderWorkflow.sampled}); shipment-<id>-1 mean ${r.historyEvents.shipmentWorkflow.mean} (n=${r.historyEvents.shipmentWorkflow.sampled})`) : 'n/a'}`,
    `worker RSS        ${mem(r.memoryMb.worker)}`,
    `API RSS           ${mem(r.memoryMb.api)}`,
    `stages (ms p50/p99) to tracking ${r.stagesMs.toTrackingNumbers.p50}/${r.stagesMs.toTrackingNumbers.p99}, courier webhooks ${r.stagesMs.courierWebhooks.p50}/${r.stagesMs.courierWebhooks.p99}, ` +
      `to delivered ${r.stagesMs.webhooksToDelivered.p50}/${r.stagesMs.webhooksToDelivered.p99}, confirm→completed ${r.stagesMs.confirmToCompleted.p50}/${r.stagesMs.confirmToCompleted.p99}, wechat paid ${r.stagesMs.wechatSubmittedToPaid.p50}/${r.stagesMs.wechatSubmittedToPaid.p99}`,
    cpu ? `CPU (cores)       temporal ${cpu.temporal}  worker ${cpu.worker}  api ${cpu.api}  postgres ${cpu.postgres}  bench ${cpu.bench}  other ${cpu.other}  (busy ${cpu.systemBusy} of ${r.cpu.window.cores})` : 'CPU               n/a',
    ...(r.cpu.idle ? [`CPU idle (cores)  ${Object.entries(r.cpu.idle.coresUsed).map(([k, v]) => `${k} ${v}`).join('  ')}  (before the warm-up)`] : []),
    ...(r.cpu.perCompletedLifecycleMs ? [`CPU ms/lifecycle  ${Object.entries(r.cpu.perCompletedLifecycleMs).map(([k, v]) => `${k} ${v}`).join('  ')}  (window + drain)`] : []),
    ...(r.cpu.perCompletedLifecycleNetOfIdleMs ? [`  net of idle     ${Object.entries(r.cpu.perCompletedLifecycleNetOfIdleMs).map(([k, v]) => `${k} ${v}`).join('  ')}`] : []),
    ...(r.cpu.window?.topOthers?.length ? [`  outside stack   ${r.cpu.window.topOthers.map((p: any) => `${p.comm}[${p.pid}] ${p.cores}`).join(', ')}`] : []),
    `orders lost       ${r.orders.lost} (stuck in flight ${r.orders.stuck}); failed submits ${r.orders.failedSubmits}${r.orders.lost ? ` last seen ${JSON.stringify(r.orders.lostByStatusAndStage)}, in the database ${JSON.stringify(r.orders.lostByDatabaseStatus)}` : ''}`,
    `errors by status  ${Object.keys(r.errorsByStatus).length ? JSON.stringify(r.errorsByStatus) : 'none'}   (5xx: ${r.serverErrors})`,
    ...(Object.keys(r.orders.failures).length ? [`failures          ${JSON.stringify(r.orders.failures)}`] : []),
    ...(Object.keys(r.childExits).length ? [`child exits       ${JSON.stringify(r.childExits)}`] : []),
    ...(r.warnings ?? []).map((w: string) => `WARNING           ${w}`),
    `report            ${file}`,
    '═══════════════════════════════════════════════════════════════════════════════',
    '',
  ];
  console.log(lines.join('\n'));
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
