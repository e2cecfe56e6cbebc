import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../prisma/generated/client';

export type Db = PrismaClient;

/** Marks a hot statement to be prepared once per connection and its plan reused (store/pricing.ts cartReads). */
export const PREPARED = '/* prepared */';

/** A name for a marked statement's text (each distinct text its own), so pg prepares it once per connection. */
const preparedName = (q: { sql: string }) =>
  q.sql.startsWith(PREPARED) ? `p_${createHash('sha1').update(q.sql).digest('hex').slice(0, 20)}` : undefined;

/** One home for database connections: a pool of at most `maxConnections` per process. */
export function createDb(databaseUrl: string, maxConnections = 10): Db {
  const adapter = new PrismaPg(
    { connectionString: databaseUrl, max: maxConnections },
    { statementNameGenerator: preparedName as (q: { sql: string }) => string },
  );
  // Bursts (a flash sale) queue for pooled connections longer than Prisma's 2 s default allows.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 10_000, timeout: 15_000 } });
}
