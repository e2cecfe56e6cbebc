import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/**
 * The project's offline stand-in for `prisma migrate deploy` (Prisma's schema engine cannot be
 * downloaded here; see docs/operations.md, "Database"). It keeps Prisma's own bookkeeping: the same
 * `_prisma_migrations` table, the same columns, sha256 checksums of each `migration.sql`, and the
 * same advisory lock key, so a real `prisma migrate deploy` later sees these migrations as applied,
 * and the two tools never run at the same time against one database.
 *
 * Uses a single connection throughout.
 */

export const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '..', 'prisma', 'migrations');

/** The key Prisma's schema engine passes to pg_advisory_lock() while migrating PostgreSQL. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

/** Prisma's DDL for its bookkeeping table on PostgreSQL (schema-engine's postgres flavour). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface ApplyMigrationsOptions {
  /** Folder in Prisma's layout (`<name>/migration.sql`); defaults to prisma/migrations. */
  migrationsDir?: string;
}

/** sha256 hex of the script, as Prisma computes `_prisma_migrations.checksum`. */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql, 'utf8').digest('hex');
}

/** Every `<name>/migration.sql` under `dir`, in name order (Prisma's order). */
export function readLocalMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): LocalMigration[] {
  if (!existsSync(dir)) throw new Error(`Migrations folder not found: ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(dir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: migrationChecksum(sql) };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Connects, retrying briefly when the server drops the connection at once (a PostgreSQL that is
 * still starting up, or restarting). Errors about the database itself (auth, unknown database) are
 * not retried.
 */
async function connect(databaseUrl: string): Promise<Client> {
  const transient = /Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|Too many connections|starting up/i;
  for (let attempt = 1; ; attempt++) {
    const client = new Client({ connectionString: databaseUrl });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => {});
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= 8 || !transient.test(message)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }
}

/** Prisma accepts a checksum computed with either line ending, so a CRLF checkout is not "edited". */
function checksumMatches(recorded: string, sql: string): boolean {
  if (recorded === migrationChecksum(sql)) return true;
  const lf = sql.replace(/\r\n/g, '\n');
  return recorded === migrationChecksum(lf) || recorded === migrationChecksum(lf.replace(/\n/g, '\r\n'));
}

/**
 * Applies every migration under prisma/migrations not yet recorded in `_prisma_migrations`, each
 * in its own transaction together with its bookkeeping row. Returns the names applied by this call
 * (empty when the database is up to date).
 *
 * Refuses to run when an applied migration's file has changed since it was applied, or when a
 * migration is recorded as started but never finished (Prisma's P3009: resolve it by hand).
 * Concurrent callers serialise on Prisma's advisory lock; the second one finds nothing to do.
 */
export async function applyMigrations(
  databaseUrl: string,
  log: (msg: string) => void = () => {},
  options: ApplyMigrationsOptions = {},
): Promise<string[]> {
  const local = readLocalMigrations(options.migrationsDir);
  const client = await connect(databaseUrl);
  let locked = false;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
    locked = true;
    await client.query(CREATE_MIGRATIONS_TABLE);

    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at
         FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
    );
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.filter((r) => r.finished_at === null);
    if (failed.length > 0) {
      throw new Error(
        `Migration(s) ${failed.map((r) => r.migration_name).join(', ')} started but did not finish ` +
          `(recorded in _prisma_migrations with finished_at NULL). Fix the database by hand, then mark them ` +
          `rolled back (set rolled_back_at) or applied (set finished_at) before migrating again.`,
      );
    }
    const applied = new Map(live.map((r) => [r.migration_name, r]));

    const byName = new Map(local.map((m) => [m.name, m]));
    for (const row of applied.values()) {
      const file = byName.get(row.migration_name);
      if (!file) {
        log(
          `warning: migration ${row.migration_name} is applied to the database but missing from ${options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR}`,
        );
      } else if (!checksumMatches(row.checksum, file.sql)) {
        throw new Error(
          `Migration ${row.migration_name} was modified after it was applied ` +
            `(recorded checksum ${row.checksum}, file now ${file.checksum}). Applied migrations are immutable: ` +
            `restore the file and put the change in a new migration folder.`,
        );
      }
    }

    const done: string[] = [];
    for (const migration of local) {
      if (applied.has(migration.name)) continue;
      log(`applying ${migration.name}`);
      const id = randomUUID();
      await client.query('BEGIN');
      try {
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, $3, clock_timestamp(), 0)`,
          [id, migration.checksum, migration.name],
        );
        // The whole script as one simple query: multi-statement, no parameters.
        await client.query(migration.sql);
        await client.query(
          `UPDATE "_prisma_migrations"
              SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1
            WHERE id = $1`,
          [id],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(`Migration ${migration.name} failed and was rolled back: ${message}`, { cause: err });
      }
      done.push(migration.name);
    }
    if (done.length === 0) log(`database is up to date (${local.length} migration(s))`);
    return done;
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK_KEY]).catch(() => {});
    await client.end().catch(() => {});
  }
}
