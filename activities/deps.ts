import type { Providers } from '../adapters/types';
import type { AllocationStrategy } from '../domain';
import type { Db } from '../prisma/client';

/** What activities act through; workers and tests inject real instances. */
export interface ActivityDeps {
  db: Db;
  providers: Providers;
  allocationStrategy?: AllocationStrategy;
}
