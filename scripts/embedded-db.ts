import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedDatabase {
  /** postgresql:// URL of the wire-protocol server, for `pg`, `createDb(url, 1)` and psql. */
  url: string;
  /** Stops accepting connections, closes the open one and flushes PGlite to dataDir. */
  stop(): Promise<void>;
}

/**
 * PostgreSQL without a PostgreSQL server, for `npm start` on a laptop: PGlite (Postgres compiled to
 * WebAssembly) persisted in `dataDir`, served over the Postgres wire protocol on host:port so the
 * ordinary clients (`pg`, `@prisma/adapter-pg`, psql) work unchanged. Tests and production use a
 * real PostgreSQL server.
 *
 * ONE CONNECTION AT A TIME. PGlite is a single session, and the server admits exactly one client
 * connection (further ones are answered "Too many connections" and closed). So every client must
 * hold at most one connection and release it before another client connects: Prisma via
 * `createDb(url, 1)`, migrations via scripts/migrations.ts (which keeps to one `pg` Client and
 * closes it before returning). Share one Db inside a process rather than opening a second pool.
 * (pglite-socket can multiplex several connections, but interleaves their extended-protocol
 * messages outside transactions, which is not safe for Prisma, so it is not enabled here.)
 *
 * `port: 0` picks a free port; the returned url carries the real one.
 */
export async function startEmbeddedDatabase(opts: { dataDir: string; port: number; host?: string }): Promise<EmbeddedDatabase> {
  const host = opts.host ?? '127.0.0.1';
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });

  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host, port: opts.port, maxConnections: 1 });
  try {
    await server.start();
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  // getServerConn() is "host:port" with the port actually bound (matters for port 0).
  const bound = server.getServerConn();
  const port = Number(bound.slice(bound.lastIndexOf(':') + 1));
  // PGlite trusts every user; "postgres" is its only database. sslmode=disable: the server
  // declines SSL, and saying so up front spares each client the round trip.
  const url = `postgresql://postgres:postgres@${formatHost(host)}:${port}/postgres?sslmode=disable`;

  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}

function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
