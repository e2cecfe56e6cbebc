import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client as PgClient } from 'pg';
import { createDb } from '../../store/db';
import { applyMigrations } from '../../scripts/migrations';
import { seedDemoCatalog } from '../../scripts/seed';
import { DEV_SERVER_SQLITE_PRAGMAS, findTemporalCli } from '../../scripts/temporal-cli';

/**
 * One real Temporal dev server, one fresh PostgreSQL database and one workflow bundle per run,
 * shared by every test file through environment variables.
 */
export default async function globalSetup(): Promise<void> {
  const admin = process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres';
  const dbName = `orders_test_${Date.now()}_${process.pid}`;
  const pg = new PgClient({ connectionString: admin });
  try {
    await pg.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${admin} (set TEST_ADMIN_DATABASE_URL; see README "Tests"): ${(err as Error).message}`);
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

  const cli = findTemporalCli();
  if (!cli) throw new Error('Temporal CLI not found: run scripts/setup-machine.sh or set TEMPORAL_CLI_PATH (README "Tests")');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orders-temporal-'));
  const server = spawn(
    cli,
    ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--db-filename', path.join(dir, 'temporal.db'), '--log-level', 'error',
      '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true', ...DEV_SERVER_SQLITE_PRAGMAS],
    { stdio: 'ignore', detached: true },
  );
  (globalThis as Record<string, unknown>).__temporalServer = server;
  const address = `127.0.0.1:${port}`;
  process.env.TEST_TEMPORAL_ADDRESS = address;
  await waitForTemporal(address);

  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
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
      if (Date.now() > deadline) throw new Error(`Temporal dev server did not start at ${address}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m), log: noop };
