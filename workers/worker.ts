import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Providers } from '../adapters/types';
import type { PayloadKeys } from '../config';
import type { MembershipTerms } from '../domain';
import { encryptedDataConverter } from '../platform/codec';
import type { Db } from '../store/db';

export interface WorkerDeps {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  db: Db;
  providers: Providers;
  /** Keys of the payload codec: every payload this worker writes to Temporal is encrypted. */
  payloadKeys: PayloadKeys;
  /** Membership tiers and earning rate (config); default: the configured defaults. */
  membership?: MembershipTerms;
  /** A prebuilt bundle (tests build it once per run); otherwise the workflows are bundled at start. */
  workflowBundle?: { codePath: string };
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxCachedWorkflows?: number;
}

/** One worker process polls one task queue for the order, shipment, after-sales and refund workflows and their activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const namespace = deps.namespace ?? 'default';
  const dataConverter = encryptedDataConverter(deps.payloadKeys);
  // Activities start workflows of their own (a wallet refund's confirmation) on this task queue, over the worker's connection.
  const client = new Client({ connection: deps.connection, namespace, dataConverter });
  const options: WorkerOptions = {
    connection: deps.connection,
    namespace,
    taskQueue: deps.taskQueue,
    dataConverter,
    activities: createActivities({
      db: deps.db,
      providers: deps.providers,
      membership: deps.membership,
      temporal: { client, taskQueue: deps.taskQueue },
    }),
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    maxConcurrentWorkflowTaskExecutions: deps.maxConcurrentWorkflowTaskExecutions ?? 100,
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions ?? 100,
    maxConcurrentLocalActivityExecutions: 100,
    // Each cached order costs a few MB of worker memory; evicted ones replay from history when needed.
    maxCachedWorkflows: deps.maxCachedWorkflows ?? 500,
  };
  return Worker.create(options);
}
