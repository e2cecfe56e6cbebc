import type { ChildProcess } from 'node:child_process';
import { Client as PgClient } from 'pg';
import type { AdminDatabase } from '../../scripts/local-postgres';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__temporalServer as ChildProcess | undefined;
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      server.kill('SIGTERM');
    }
  }
  const env = (globalThis as Record<string, unknown>).__temporalEnv as { teardown(): Promise<void> } | undefined;
  await env?.teardown();
  const admin = (globalThis as Record<string, unknown>).__adminDatabase as AdminDatabase | undefined;
  if (admin?.embedded) {
    // The run's own embedded server: stopping it and deleting its folder drops everything.
    await admin.release();
    return;
  }
  const name = process.env.TEST_DATABASE_NAME;
  if (name && !process.env.KEEP_TEST_DATABASE) {
    const pg = new PgClient({
      connectionString: process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres',
    });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await pg.end();
  }
}
