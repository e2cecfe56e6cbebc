import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/**
 * The production Temporal server (not the dev server): version 1.29.1 built once with `go install`,
 * PostgreSQL persistence, 4 history shards, every service in one process. One home for building,
 * configuring and starting it, shared by the production suite (test/production/topology.ts) and the
 * benchmark (`BENCH_TEMPORAL=production`, bench/production-server.ts); each runs the returned command
 * under its own process supervision.
 */

export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_HISTORY_SHARDS = 4;

type Log = (msg: string) => void;

function goEnv(name: string): string {
  return execFileSync('go', ['env', name], { encoding: 'utf8' }).trim();
}

/**
 * The Temporal server and temporal-sql-tool binaries, built once with `go install` into
 * $TEMPORAL_SERVER_BIN_DIR (default $(go env GOPATH)/bin/temporal-server-v1.29.1, kept between runs;
 * ~3.5 min on 2 cores the first time). Also returns the module's folder (schemas, configs).
 */
export function ensureTemporalServer(log: Log): { server: string; sql: string; moduleDir: string } {
  let gopath: string;
  try {
    gopath = goEnv('GOPATH');
  } catch {
    throw new Error(
      'Go is needed to build the Temporal server: install Go (Debian: apt-get install golang), or set TEMPORAL_SERVER_BIN_DIR to a folder holding `server` and `sql` built from go.temporal.io/server@v1.29.1',
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

/**
 * A PostgreSQL of the run's own (embedded-postgres): without fsync (only an OS crash, which no run
 * causes, would lose data), but every acknowledged commit kept when the chaos run SIGKILLs it.
 * Temporal's persistence and the engine both rely on that; asynchronous commit made a killed server
 * forget its last ~0.5 s of commits, and two orders with them (docs/decisions/067;
 * test/unit/postgres-durability.test.ts).
 */
export function startRunPostgres(dataDir: string, port: number): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir,
    port,
    ephemeral: true,
    settings: { max_connections: 300, synchronous_commit: 'on' },
  });
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

/** Creates Temporal's two databases on the given PostgreSQL and brings their schemas up to date (temporal-sql-tool). */
function setupTemporalSchemas(sqlTool: string, moduleDir: string, pgPort: number): void {
  const connect = ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'postgres'];
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ]) {
    const run = (args: string[]) =>
      execFileSync(sqlTool, [...connect, '-pw', 'postgres', '--db', db, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    run(['create-database']);
    run(['setup-schema', '-v', '0.0']);
    run(['update-schema', '-d', path.join(moduleDir, 'schema', 'postgresql', 'v12', schema, 'versioned')]);
  }
}

/** `key:\n  - value: <JSON>` entries: JSON scalars, lists and maps are YAML too. */
function dynamicConfigYaml(values: Record<string, unknown>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n`)
    .join('');
}

/** The module's development-postgres12 config and its dynamic config, ports moved to `base`, written under `configDir`. */
function writeTemporalConfig(
  moduleDir: string,
  configDir: string,
  opts: { base: number; pgPort: number; archivalDir: string; dynamicConfig: Record<string, unknown> },
): { metricsPort: number } {
  const { base } = opts;
  mkdirSync(path.join(configDir, 'dynamicconfig'), { recursive: true });
  const ports: Record<string, number> = {
    ...{ 7233: base, 7234: base + 1, 7235: base + 2, 7239: base + 3, 7243: base + 4, 7936: base + 5, 8000: base + 6 },
    ...{ 6933: base + 10, 6934: base + 11, 6935: base + 12, 6939: base + 13 },
  };
  const dynamicFile = path.join(configDir, 'dynamicconfig', 'development-sql.yaml');
  const config = readFileSync(path.join(moduleDir, 'config', 'development-postgres12.yaml'), 'utf8')
    .replace(/\b(7233|7234|7235|7239|6933|6934|6935|6939|7243|7936|8000)\b/g, (p) => String(ports[p]))
    .replace(/127\.0\.0\.1:5432/g, `127.0.0.1:${opts.pgPort}`)
    .replace(/user: "temporal"/g, 'user: "postgres"')
    .replace(/password: "temporal"/g, 'password: "postgres"')
    .replace(/level: info/, 'level: warn')
    .replace(/filepath: "config\/dynamicconfig\/development-sql.yaml"/, `filepath: "${dynamicFile}"`)
    .replace(/\/tmp\/temporal_(vis_)?archival/g, opts.archivalDir);
  if (!new RegExp(`numHistoryShards: ${TEMPORAL_HISTORY_SHARDS}\\b`).test(config))
    throw new Error(`expected numHistoryShards: ${TEMPORAL_HISTORY_SHARDS} in development-postgres12.yaml`);
  writeFileSync(path.join(configDir, 'development-postgres12.yaml'), config);
  const dynamic = readFileSync(path.join(moduleDir, 'config', 'dynamicconfig', 'development-sql.yaml'), 'utf8').replace(
    /localhost:7243/g,
    `localhost:${ports[7243]}`,
  );
  writeFileSync(dynamicFile, `${dynamic}\n${dynamicConfigYaml(opts.dynamicConfig)}`);
  return { metricsPort: ports[8000] };
}

/** What the engine needs beyond the module's development dynamic config. */
export const ENGINE_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'frontend.enableUpdateWorkflowExecution': true,
  'frontend.enableUpdateWorkflowExecutionAsyncAccepted': true,
  'frontend.activityAPIsEnabled': true,
};

export interface TemporalServerLaunch {
  command: string;
  args: string[];
  cwd: string;
  /** The frontend's host:port. */
  address: string;
  /** Its Prometheus endpoint's port (`/metrics`). */
  metricsPort: number;
}

/**
 * Sets up Temporal's schemas on the PostgreSQL at `pgPort` (user and password `postgres`) and its
 * config under `<dir>/temporal`; returns how to start the server. `dynamicConfig` adds to the
 * engine's keys (ENGINE_DYNAMIC_CONFIG), e.g. raised rate limits.
 */
export async function prepareTemporalServer(opts: {
  dir: string;
  pgPort: number;
  log: Log;
  dynamicConfig?: Record<string, unknown>;
}): Promise<TemporalServerLaunch> {
  const bins = ensureTemporalServer(opts.log);
  setupTemporalSchemas(bins.sql, bins.moduleDir, opts.pgPort);
  opts.log('Temporal schemas set up (temporal, temporal_visibility)');
  const base = await temporalPortBase();
  const root = path.join(opts.dir, 'temporal');
  const { metricsPort } = writeTemporalConfig(bins.moduleDir, path.join(root, 'config'), {
    base,
    pgPort: opts.pgPort,
    archivalDir: path.join(root, 'archival'),
    dynamicConfig: { ...ENGINE_DYNAMIC_CONFIG, ...opts.dynamicConfig },
  });
  const args = ['--root', root, '--config', 'config', '--env', 'development-postgres12', '--allow-no-auth', 'start'];
  return { command: bins.server, args, cwd: root, address: `127.0.0.1:${base}`, metricsPort };
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

/** Registers namespace `default` (once) and waits until the frontend serves it. */
export async function ensureNamespace(address: string): Promise<void> {
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
