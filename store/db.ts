import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type Prisma } from '../prisma/generated/client';

export type Db = PrismaClient;

const pools = new WeakMap<Db, pg.Pool>();

/** One home for database connections: a pool of at most `maxConnections` per process. */
export function createDb(databaseUrl: string, maxConnections = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  // Bursts (a flash sale) queue for pooled connections longer than Prisma's 2 s default allows.
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
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

/**
 * Runs a hot statement wherever `client` is (decision 111): named on the pool for a client of
 * createDb() (prepared once per connection, ~0.05 ms of CPU against Prisma's 0.25–0.5 ms), or inside
 * the transaction for a transaction's client. Columns come back as PostgreSQL names them (alias them),
 * and a bigint as a string from the pool but a BigInt in a transaction: cast such a column to int or text.
 */
export async function runStatement<T>(
  client: Db | Prisma.TransactionClient,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<T[]> {
  const pool = pools.get(client as Db);
  if (!pool) return client.$queryRawUnsafe<T[]>(statement.text, ...values);
  const { rows } = await pool.query({ ...statement, values });
  return rows as T[];
}
