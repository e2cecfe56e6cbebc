import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type Prisma } from '../prisma/generated/client';

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

/**
 * How long a caller waits for one of the pool's connections (or for a new one to connect) before it
 * gives up: the same bound as a Prisma transaction's `maxWait`. Past it the database is saturated or
 * out of reach, and the caller hears so (the API answers 503 with Retry-After) instead of waiting forever.
 */
export const CONNECTION_WAIT_MS = 10_000;

/** One home for database connections: a pool of at most `maxConnections` per process. */
export function createDb(databaseUrl: string, maxConnections = 10, connectionWaitMs = CONNECTION_WAIT_MS): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: maxConnections,
    connectionTimeoutMillis: connectionWaitMs,
  });
  // An idle connection the server ends (a restart) leaves the pool; heard, its error does not end the
  // process. Prisma's adapter listens too, but only from its first query, and runStatement may come first.
  pool.on('error', () => undefined);
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  // Bursts (a flash sale) queue for pooled connections longer than Prisma's 2 s default allows.
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: connectionWaitMs, timeout: 15_000 } });
  pools.set(db, pool);
  return db;
}

/** How many connections the pool opens at most: what bounds the database steps one process runs at once. */
export const connectionsOf = (db: Db): number => poolOf(db).options.max ?? 10;

/**
 * The same pool, for a hot read that is worth more than Prisma's own cost per query (~0.3 ms here,
 * docs/benchmark.md "Pricing"): a quote's one statement (store/pricing.ts), named so that pg prepares
 * it once per connection and PostgreSQL reuses its plan.
 */
export function poolOf(db: Db): pg.Pool {
  const pool = pools.get(db);
  if (!pool) throw new Error('not a client of createDb()');
  return pool;
}

/** A transaction on one of the pool's connections (`inTransaction`): hot statements run on it named. */
export type PoolTx = pg.PoolClient;

/** A Prisma interactive transaction: what still runs Prisma's queries (give-backs, after-sales). */
export type PrismaTx = Prisma.TransactionClient;

/** A transaction of either kind: Prisma's, or one on the pool. */
export type Tx = PrismaTx | PoolTx;

/** Where a statement can run: the pool or a transaction. */
export type Client = Db | Tx;

/**
 * Runs a hot statement wherever `client` is (decision 111): named on the pool for a client of
 * createDb() (prepared once per connection, ~0.05 ms of CPU against Prisma's 0.25–0.5 ms) or on a
 * transaction of inTransaction(), or inside a Prisma transaction for its client. Columns come back as
 * PostgreSQL names them (alias them), and a bigint as a string from the pool but a BigInt in a Prisma
 * transaction: cast such a column to int or text.
 */
export async function runStatement<T>(
  client: Client,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<T[]> {
  if (client instanceof pg.Client) return (await client.query<T & pg.QueryResultRow>({ ...statement, values })).rows;
  const pool = pools.get(client as Db);
  if (!pool) return (client as Prisma.TransactionClient).$queryRawUnsafe<T[]>(statement.text, ...values);
  const { rows } = await pool.query({ ...statement, values });
  return rows as T[];
}

/** What bounds a statement of inTransaction(), as Prisma's 15 s timeout bounded its transactions. */
const STATEMENT_TIMEOUT_MS = 15_000;

/**
 * A transaction of hot statements on one of the pool's connections (decision 120): a Prisma
 * interactive transaction costs 2.9–3.5 ms of CPU for four statements, this 0.7–0.8 ms. Everything
 * `work` runs must go through runStatement. Rolled back when `work` throws; a connection whose
 * rollback failed is closed, not reused.
 */
export async function inTransaction<T>(db: Db, work: (tx: PoolTx) => Promise<T>): Promise<T> {
  const tx = await poolOf(db).connect();
  let broken: Error | undefined;
  // A connection lost between two statements says so here (unheard, the error would end the process).
  const lost = (err: Error) => (broken = err);
  tx.on('error', lost);
  try {
    await tx.query(`BEGIN; SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    // A broken connection is closed and may still report its end: it keeps the listener.
    if (!broken) tx.off('error', lost);
    tx.release(broken);
  }
}
