import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Providers } from '../adapters/types';
import { DEFAULT_MAX_CACHED_WORKFLOWS, type PayloadKeys } from '../config';
import type { MembershipTerms } from '../domain';
import { encryptedDataConverter } from '../platform/codec';
import type { Tracing } from '../platform/telemetry';
import { connectionsOf, type Db } from '../store/db';
import { capWorkflowThreadHeaps, workerLimits } from './limits';

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
  /** Default: one per connection of the worker's pool (decision 096). */
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  /** Default: DEFAULT_MAX_CACHED_WORKFLOWS, sized for the worker's memory budget (docs/operations.md, "Worker cache"). */
  maxCachedWorkflows?: number;
  /**
   * On shutdown, in-flight activities may finish for this long before they are asked to cancel; the
   * worker gives up on them this much later still, so a stop always ends (docs/operations.md).
   */
  shutdownGraceMs?: number;
  /** OpenTelemetry (platform/tracing.ts), when on: the interceptors, the span sink, the workflow module. */
  tracing?: Pick<Tracing, 'clientInterceptors' | 'worker' | 'workflowInterceptorModule'>;
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
/** After the grace time: how long cancelled activities get to end before the worker stops without them. */
const SHUTDOWN_FORCE_AFTER_GRACE_MS = 10_000;

/** One worker process polls one task queue for the order, shipment, after-sales and refund workflows and their activities. */
export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const namespace = deps.namespace ?? 'default';
  const dataConverter = encryptedDataConverter(deps.payloadKeys);
  // Activities start workflows of their own (a wallet refund's confirmation) on this task queue, over the worker's connection.
  const client = new Client({
    connection: deps.connection,
    namespace,
    dataConverter,
    interceptors: deps.tracing?.clientInterceptors,
  });
  const graceMs = deps.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
  const limits = workerLimits(connectionsOf(deps.db));
  const maxCachedWorkflows = deps.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS;
  capWorkflowThreadHeaps(maxCachedWorkflows, limits.workflowThreadPoolSize);
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
    ...tracingOptions(deps),
    shutdownGraceTime: graceMs,
    shutdownForceTime: graceMs + SHUTDOWN_FORCE_AFTER_GRACE_MS,
    ...limits,
    maxConcurrentWorkflowTaskExecutions:
      deps.maxConcurrentWorkflowTaskExecutions ?? limits.maxConcurrentWorkflowTaskExecutions,
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentActivityTaskExecutions ?? 100,
    // A cached workflow costs memory for as long as it is open (an order: through its return window);
    // an evicted one replays its history on its next task (docs/operations.md, "Worker cache").
    maxCachedWorkflows,
  };
  return Worker.create(options);
}

/**
 * The tracing interceptors and span sink; the workflow interceptors module only where the worker
 * bundles the workflows itself (a prebuilt bundle must have been built with it).
 */
function tracingOptions({ tracing, workflowBundle }: WorkerDeps): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!tracing) return {};
  const { interceptors, sinks } = tracing.worker;
  return {
    sinks,
    interceptors: workflowBundle
      ? interceptors
      : { ...interceptors, workflowModules: [tracing.workflowInterceptorModule] },
  };
}

export interface Polling {
  /** Settles when the worker has stopped. */
  running: Promise<void>;
  /** True while the worker polls: false from the moment a drain begins (the worker's /readyz). */
  ready(): boolean;
  /** Stops polling at once; resolves once in-flight tasks have finished (or the grace and force times passed). */
  drain(): Promise<void>;
}

/** Runs the worker, with the readiness and the drain a process's SIGTERM uses (docs/operations.md). */
export function startPolling(worker: Worker): Polling {
  let draining = false;
  const running = worker.run();
  return {
    running,
    ready: () => !draining && worker.getState() === 'RUNNING',
    async drain() {
      draining = true;
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
