import type { Client } from '@temporalio/client';
import type { Providers } from '../adapters/types';
import type { AllocationStrategy, MembershipTerms } from '../domain';
import type { Db } from '../store/db';

/** What activities act through; workers and tests inject real instances. */
export interface ActivityDeps {
  db: Db;
  providers: Providers;
  allocationStrategy?: AllocationStrategy;
  /** Tiers and earning rate (config MEMBERSHIP_TIERS, POINTS_EARN_RATE); default: the configured defaults. */
  membership?: MembershipTerms;
  /** Where activities start workflows of their own (a wallet refund's confirmation): the worker's client and task queue. */
  temporal?: { client: Client; taskQueue: string };
}
