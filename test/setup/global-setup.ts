import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client as PgClient } from 'pg';
import { createDb } from '../../store/db';
import { applyMigrations } from '../../scripts/migrations';
import { buildWorkflowBundle } from '../../scripts/workflow-bundle';
import { adminDatabase, freePort } from '../../scripts/local-postgres';
import { seedDemoCatalog } from '../../scripts/seed';
import { DEV_SERVER_SQLITE_PRAGMAS, TEMPORAL_CLI_MISSING, ensureTemporalCli } from '../../scripts/temporal-cli';

const say = (msg: string) => process.stderr.write(`[global setup] ${msg}\n`);

/**
 * One real Temporal dev server, one fresh PostgreSQL database and one workflow bundle per run,
 * shared by every test file through environment variables. The PostgreSQL server is
 * TEST_ADMIN_DATABASE_URL, else the one listening on PGHOST:PGPORT (127.0.0.1:5432), else an
 * embedded PostgreSQL started for this run (scripts/local-postgres.ts).
 */
export default async function globalSetup(): Promise<void> {
  const server = await adminDatabase(process.env.TEST_ADMIN_DATABASE_URL, say);
  (globalThis as Record<string, unknown>).__adminDatabase = server;
  try {
    await setUp(server.url);
  } catch (err) {
    // Jest runs no teardown after a failed setup: stop what this one started.
    await server.release().catch(() => {});
    throw err;
  }
}

async function setUp(admin: string): Promise<void> {
  process.env.TEST_ADMIN_DATABASE_URL = admin; // the test files and the teardown use the same server
  const dbName = `orders_test_${Date.now()}_${process.pid}`;
  const pg = new PgClient({ connectionString: admin });
  try {
    await pg.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${admin} (set TEST_ADMIN_DATABASE_URL; see docs/testing.md): ${(err as Error).message}`,
    );
  }
  await pg.query(`CREATE DATABASE "${dbName}"`);
  await pg.end();
  const url = new URL(admin);
  url.pathname = `/${dbName}`;
  process.env.TEST_DATABASE_URL = url.toString();
  process.env.TEST_DATABASE_NAME = dbName;
  await applyMigrations(url.toString());
  const db = createDb(url.toString(), 2);
  await seedDemoCatalog(db);
  await db.$disconnect();

  const cli = ensureTemporalCli(say);
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orders-temporal-'));
  const address = `127.0.0.1:${port}`;
  process.env.TEST_TEMPORAL_ADDRESS = address;
  if (!cli) {
    // No CLI and no Go: the Temporal SDK downloads one (machines with internet access).
    say('Temporal CLI not found and no Go toolchain: letting the Temporal SDK download it');
    try {
      const env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'cached-download' },
          ip: '127.0.0.1',
          port,
          dbFilename: path.join(dir, 'temporal.db'),
          extraArgs: DEV_SERVER_SQLITE_PRAGMAS,
        },
      });
      (globalThis as Record<string, unknown>).__temporalEnv = env;
    } catch (err) {
      throw new Error(`${TEMPORAL_CLI_MISSING} (the SDK's download failed: ${(err as Error).message})`);
    }
  } else {
    const temporal = spawn(
      cli,
      [
        'server',
        'start-dev',
        '--headless',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        // Left out, the HTTP API takes the gRPC port + 1000, which something else may hold (bench/stack.ts).
        '--http-port',
        String(await freePort()),
        '--db-filename',
        path.join(dir, 'temporal.db'),
        '--log-level',
        'error',
        '--dynamic-config-value',
        'frontend.enableUpdateWorkflowExecution=true',
        ...DEV_SERVER_SQLITE_PRAGMAS,
      ],
      { stdio: 'ignore', detached: true },
    );
    (globalThis as Record<string, unknown>).__temporalServer = temporal;
  }
  await waitForTemporal(address);

  const { code } = await buildWorkflowBundle();
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}

async function waitForTemporal(address: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`Temporal dev server did not start at ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
