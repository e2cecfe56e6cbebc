import type { ChildProcess } from 'node:child_process';
import { Client as PgClient } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as Record<string, unknown>).__temporalServer as ChildProcess | undefined;
  if (server?.pid) {
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      server.kill('SIGTERM');
    }
  }
  const name = process.env.TEST_DATABASE_NAME;
  if (name && !process.env.KEEP_TEST_DATABASE) {
    const pg = new PgClient({ connectionString: process.env.TEST_ADMIN_DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/postgres' });
    await pg.connect();
    await pg.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await pg.end();
  }
}
