/**
 * The bench's own local stack: a Temporal server — the dev server (free port, temporary SQLite file)
 * or, with BENCH_TEMPORAL=production, the production server on its own PostgreSQL
 * (production-server.ts), either with raised rate limits — a fresh PostgreSQL database (migrated, seeded, stock raised so it never runs out), then the
 * worker and the API as two separate child processes. Teardown runs the cleanups in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createDb } from '../store/db';
import { WORKER_ENVIRONMENT, WORKER_NODE_FLAGS } from '../workers/limits';
import { buildWorkflows } from '../scripts/build-workflows';
import { adminDatabase } from '../scripts/local-postgres';
import { applyMigrations } from '../scripts/migrations';
import { DEMO_STORE_SKUS, seedDemoCatalog } from '../scripts/seed';
import { findTemporalCli } from '../scripts/temporal-cli';
import { postmasterOf } from './metrics';
import { env, opts } from './options';
import { dynamicConfigValues, startProductionTemporal } from './production-server';
import { log, ROOT, round, sleep } from './util';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  logFile: string;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  /** How long a graceful stop took (undefined: it had to be killed). */
  stopSeconds?: number;
}

export class Stack {
  readonly tmp = mkdtempSync(path.join(os.tmpdir(), 'orders-bench-'));
  readonly children: Child[] = [];
  readonly cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
  temporalAddress = '';
  temporalMetricsPort = 0;
  /** Which Temporal server runs, for the report. */
  temporalServer = '';
  /** The postmaster of the production server's own PostgreSQL (production-server.ts). */
  temporalPostgresPid?: () => number | undefined;
  /** The postmaster of the engine's PostgreSQL, when it runs on this machine. */
  enginePostgresPid?: number;
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

  /** The roots of the process trees the sampler (metrics.ts) attributes CPU to. */
  samplerRoots() {
    return {
      temporal: this.child('temporal')?.proc.pid,
      temporalPostgres: this.temporalPostgresPid?.(),
      worker: this.child('worker')?.proc.pid,
      api: this.child('api')?.proc.pid,
      postgres: this.enginePostgresPid,
    };
  }

  /** A child in its own process group (so Ctrl-C reaches only the bench, which stops it in order). */
  spawnChild(name: string, command: string, args: string[], childEnv: NodeJS.ProcessEnv, cwd = ROOT): Child {
    const logFile = `${this.logPrefix}.${name}.log`;
    const fd = openSync(logFile, 'a');
    const proc = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', fd, fd], detached: true });
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
    for (const c of this.children) if (!c.exited && c.proc.pid) killGroup(c.proc.pid);
  }
}

function killGroup(pid: number) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
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
    killGroup(pid);
    await Promise.race([exited, sleep(2000)]);
  } else {
    child.stopSeconds = round((performance.now() - t0) / 1000, 2);
    // the group's other members (tsx's child) may outlive the leader by a moment
    killGroup(pid);
  }
}

/** The rate limits either server gets raised to BENCH_TEMPORAL_LIMIT, so that they never throttle the bench. */
function raisedLimits(): Record<string, number> {
  const raised = [
    ...['frontend.rps', 'frontend.namespaceRPS', 'history.rps', 'matching.rps'],
    ...[
      'frontend.persistenceMaxQPS',
      'history.persistenceMaxQPS',
      'matching.persistenceMaxQPS',
      'worker.persistenceMaxQPS',
    ],
    ...['system.visibilityPersistenceMaxReadQPS', 'system.visibilityPersistenceMaxWriteQPS'],
    ...[
      'frontend.persistenceNamespaceMaxQPS',
      'history.persistenceNamespaceMaxQPS',
      'matching.persistenceNamespaceMaxQPS',
    ],
  ];
  return Object.fromEntries(raised.map((k) => [k, opts.temporalLimit]));
}

/** The server BENCH_TEMPORAL names, with the bench's flags; the ceiling (bench/ceiling/) uses it too. */
export function startTemporal(stack: Stack): Promise<void> {
  if (opts.temporal === 'production')
    return startProductionTemporal(stack, { ...raisedLimits(), ...dynamicConfigValues(opts.dynamicConfig) });
  return startDevServer(stack);
}

/** The dev server with raised limits and SQLite pragmas. */
async function startDevServer(stack: Stack): Promise<void> {
  const cli = findTemporalCli();
  if (!cli)
    throw new Error(
      'Temporal CLI not found (set TEMPORAL_CLI_PATH or `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`)',
    );
  const port = await freePort();
  const dynamic = [
    'frontend.enableUpdateWorkflowExecution=true',
    ...Object.entries(raisedLimits()).map(([k, v]) => `${k}=${v}`),
    ...opts.dynamicConfig,
  ];
  stack.temporalMetricsPort = await freePort();
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--metrics-port',
    String(stack.temporalMetricsPort),
    // Left out, the HTTP API takes the gRPC port + 1000, which something else may hold: the server then exits at start.
    '--http-port',
    String(await freePort()),
    '--db-filename',
    path.join(stack.tmp, 'temporal.db'),
    '--log-level',
    'warn',
  ];
  for (const d of dynamic) args.push('--dynamic-config-value', d);
  for (const p of opts.sqlitePragmas) args.push('--sqlite-pragma', p);
  const temporal = stack.spawnChild('temporal', cli, args, process.env);
  stack.temporalAddress = `127.0.0.1:${port}`;
  stack.temporalServer = 'dev (Temporal CLI, SQLite)';
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (temporal.exited)
      throw new Error(
        `the Temporal dev server exited at start (code ${temporal.exited.code}); see ${temporal.logFile}`,
      );
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
      if (Date.now() > deadline)
        throw new Error(`Temporal dev server did not start at ${stack.temporalAddress}: ${(err as Error).message}`);
      await sleep(250);
    }
  }
}

async function createDatabase(stack: Stack): Promise<void> {
  const server = await adminDatabase(opts.adminDatabaseUrl, log);
  stack.cleanups.push({ name: "the engine's PostgreSQL", run: () => server.release() });
  const dbName = `orders_bench_${Date.now()}_${process.pid}`;
  const admin = new PgClient({ connectionString: server.url });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${server.url} (set BENCH_ADMIN_DATABASE_URL): ${(err as Error).message}`,
    );
  }
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
    // Its backend's parent is the server's postmaster: the sampler counts that process tree as the engine's PostgreSQL.
    const { rows } = await admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    stack.enginePostgresPid = postmasterOf(rows[0].pid);
  } finally {
    await admin.end();
  }
  stack.cleanups.push({
    name: `database ${dbName}`,
    run: () =>
      withPg(server.url, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`)).then(() => undefined),
  });
  const url = new URL(server.url);
  url.pathname = `/${dbName}`;
  stack.databaseUrl = url.toString();

  await applyMigrations(stack.databaseUrl);
  const db = createDb(stack.databaseUrl, 2);
  try {
    await seedDemoCatalog(db);
  } finally {
    await db.$disconnect();
  }
  // Every SKU of the auto-accepting demo merchant: the load orders them all, the scarce one too.
  const { rowCount } = await withPg(stack.databaseUrl, (pg) =>
    pg.query('UPDATE inventory SET on_hand = 10000000 WHERE sku = ANY($1::text[])', [[...DEMO_STORE_SKUS]]),
  );
  log(
    `database ${dbName}: migrated, seeded, stock of ${DEMO_STORE_SKUS.length} SKUs raised (${rowCount} inventory rows)`,
  );
}

async function withPg<T>(connectionString: string, use: (pg: PgClient) => Promise<T>): Promise<T> {
  const pg = new PgClient({ connectionString });
  await pg.connect();
  try {
    return await use(pg);
  } finally {
    await pg.end();
  }
}

/** The workflow bundles the worker loads, built into `dir` before it starts (npm run build:workflows). */
async function prebuiltWorkflows(dir: string): Promise<string> {
  const started = Date.now();
  await buildWorkflows(dir);
  log(`workflow bundles built in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return dir;
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
    // The bench's own event receiver listens on 127.0.0.1, which subscriptions refuse unless allowed.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    // Built before the worker starts, as the image does (workers/workflow-bundle.ts).
    WORKFLOW_BUNDLE_DIR: await prebuiltWorkflows(path.join(stack.tmp, 'workflows')),
  });
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  // With node flags (profiling), node runs tsx's loader itself: `node <flags> --import tsx <script>`.
  const launch = (name: string, script: string, nodeArgs: string | undefined, childEnv = base) =>
    nodeArgs
      ? stack.spawnChild(
          name,
          process.execPath,
          [...nodeArgs.split(/\s+/).filter(Boolean), '--import', 'tsx', script],
          childEnv,
        )
      : stack.spawnChild(name, tsx, [script], childEnv);
  const children = [
    // The worker starts as it does in production (WORKER_NODE_FLAGS, WORKER_ENVIRONMENT);
    // BENCH_WORKER_NODE_ARGS come after the flags and win, as the caller's environment does.
    launch('worker', 'workers/main.ts', [...WORKER_NODE_FLAGS, env.BENCH_WORKER_NODE_ARGS ?? ''].join(' '), {
      ...WORKER_ENVIRONMENT,
      ...base,
    }),
    launch('api', 'api/main.ts', env.BENCH_API_NODE_ARGS),
  ];

  const deadline = Date.now() + 180_000;
  let apiReady = false;
  let workerReady = false;
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    while (!(apiReady && workerReady)) {
      for (const c of children)
        if (c.exited) throw new Error(`the ${c.name} exited at start (code ${c.exited.code}):\n${tail(c.logFile)}`);
      if (Date.now() > deadline)
        throw new Error(`the engine was not ready within 180s (api ${apiReady}, worker ${workerReady})`);
      if (!apiReady)
        apiReady = await fetch(`${stack.apiUrl}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
      if (!workerReady) {
        // The worker bundles its workflows at start; it is ready once it polls the task queue.
        const res = await connection.workflowService
          .describeTaskQueue({
            namespace: 'default',
            taskQueue: { name: stack.taskQueue },
            taskQueueType: 1 /* WORKFLOW */,
          })
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

/** Brings the whole stack up, in order; on failure the caller tears down what was started. */
export async function bringUp(stack: Stack, setupStarted: number): Promise<void> {
  await startTemporal(stack);
  log(`Temporal ${stack.temporalServer} at ${stack.temporalAddress} (pid ${stack.child('temporal')!.proc.pid})`);
  await createDatabase(stack);
  await startEngine(stack);
  log(
    `worker (pid ${stack.child('worker')!.proc.pid}) and API ${stack.apiUrl} (pid ${stack.child('api')!.proc.pid}) ready after ${round((performance.now() - setupStarted) / 1000)}s`,
  );
}
