import type { Client } from '@temporalio/client';
import type { Providers } from '../adapters/types';
import type { AllocationStrategy } from '../domain';
import type { Db } from '../store/db';

/** What activities act through; workers and tests inject real instances. */
export interface ActivityDeps {
  db: Db;
  providers: Providers;
  allocationStrategy?: AllocationStrategy;
  /** Where activities start workflows of their own (a wallet refund's confirmation): the worker's client and task queue. */
  temporal?: { client: Client; taskQueue: string };
}
