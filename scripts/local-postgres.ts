import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/** Where a PostgreSQL server is looked for when none is configured: libpq's PGHOST / PGPORT, else 127.0.0.1:5432. */
export function defaultAdminUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `postgresql://postgres:postgres@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? 5432}/postgres`;
}

export interface AdminDatabase {
  /** A superuser URL to create databases with. */
  url: string;
  /** The embedded server this run started (undefined when a server was configured or found). */
  embedded?: EmbeddedPostgres;
  /** Stops the embedded server and deletes its data (no-op otherwise). */
  release(): Promise<void>;
}

/**
 * The PostgreSQL server for tests and tooling: `configured` when given; else the server found at
 * defaultAdminUrl(); else, when nothing listens there, a throw-away embedded PostgreSQL on a free
 * port (scripts/embedded-postgres.ts). A server that answers but refuses us is an error, not a
 * reason to start another one.
 */
export async function adminDatabase(
  configured: string | undefined,
  log: (msg: string) => void = () => {},
): Promise<AdminDatabase> {
  const none = { release: async () => {} };
  if (configured) return { url: configured, ...none };
  const probe = defaultAdminUrl();
  const client = new Client({ connectionString: probe, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return { url: probe, ...none };
  } catch (err) {
    await client.end().catch(() => {});
    const code = (err as { code?: string }).code;
    if (code !== 'ECONNREFUSED' && code !== 'ENOTFOUND' && code !== 'EADDRNOTAVAIL') {
      throw new Error(
        `PostgreSQL at ${probe.replace(/:[^:@/]*@/, ':***@')} refused us (${(err as Error).message}): set TEST_ADMIN_DATABASE_URL to a superuser URL`,
      );
    }
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orders-pg-'));
  chmodSync(dir, 0o755); // run as root, the server runs as `postgres` and must reach its data folder
  const port = await freePort();
  log(
    `no PostgreSQL configured or listening at ${new URL(probe).host}: starting an embedded PostgreSQL on 127.0.0.1:${port}`,
  );
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    port,
    ephemeral: true,
    detached: false,
  });
  return {
    url: embedded.url(),
    embedded,
    async release() {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}
