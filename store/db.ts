import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../prisma/generated/client';

export type Db = PrismaClient;

/** One home for database connections: a pool of at most `maxConnections` per process. */
export function createDb(databaseUrl: string, maxConnections = 10): Db {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: maxConnections });
  // Bursts (a flash sale) queue for pooled connections longer than Prisma's 2 s default allows.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
}
