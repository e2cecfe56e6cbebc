import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSimulatedProviders } from '../adapters/simulators';
import type { Logger } from 'pino';
import type { Providers } from '../adapters/types';
import { loadConfig, type Config } from '../config';
import { createDb, type Db } from '../store/db';
import { encryptedDataConverter } from '../platform/codec';
import { createLogger } from '../platform/logging';
import { tracingFromConfig, type Tracing } from '../platform/telemetry';
import { startAnalyticsRefresher } from './analytics';
import { startHousekeeping } from './housekeeping';
import { businessRegistry, freeLoopbackPort, prometheusTelemetry, sdkLoggerFrom, startMetricsServer } from './metrics';
import { startNotificationDispatcher } from './notifications';
import { ensureReconciliationSchedule } from './schedules';
import { startWebhookDispatcher, webhookDispatcherOptions } from './webhooks';
import { createWorker, startPolling, type Polling } from './worker';
import { prebuiltWorkflowBundle } from './workflow-bundle';

/** A worker process (`npm run worker`): scale out by running more of them. */
export async function runWorker(
  env: NodeJS.ProcessEnv = process.env,
  /** `npm start` shares its process's tracing with the API; by default the worker starts its own. */
  shared: { tracing?: Tracing } = {},
): Promise<{ shutdown(): Promise<void> }> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for a worker process');
  const log = createLogger(config.LOG_LEVEL, 'worker');
  // The SDK's metrics go to Core's Prometheus exporter on a private loopback port, served through
  // our /metrics with the business gauges (workers/metrics.ts); its logs go through pino.
  const coreAddress = config.WORKER_METRICS_PORT ? `127.0.0.1:${await freeLoopbackPort()}` : undefined;
  installRuntime(log, coreAddress);
  const db = createDb(config.DATABASE_URL, config.DB_POOL_SIZE);
  const ownTracing = shared.tracing ? undefined : await tracingFromConfig(config, 'orders-worker');
  const tracing = shared.tracing ?? ownTracing;
  // Ready while polling: not before (metrics and /healthz come up first, while it connects), and not
  // from the moment a stop begins, so no probe counts on a draining worker.
  const probe: { polling?: Polling } = {};
  const metrics = await startWorkerMetrics(config, db, log, coreAddress, () => probe.polling?.ready() ?? false);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  // The SDK's workflow threads read it from the environment they start with (patches/, decision 109).
  process.env.WORKFLOW_STACK_TRACES = config.WORKFLOW_STACK_TRACES;
  const providers = createSimulatedProviders(db, {
    webhookBaseUrl: config.publicBaseUrl,
    courierFailureRate: config.SIMULATOR_COURIER_FAILURE_RATE,
    notifier: { failureRate: config.SIMULATOR_NOTIFIER_FAILURE_RATE, errorRate: config.SIMULATOR_NOTIFIER_ERROR_RATE },
  });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    db,
    providers,
    payloadKeys: config.payloadKeys,
    membership: config.membership,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    workflowBundle: prebuiltWorkflowBundle(config.WORKFLOW_BUNDLE_DIR, tracing !== undefined),
    shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_SECONDS * 1000,
    tracing,
  });
  const polling = (probe.polling = startPolling(worker));
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const client = new Client({
    connection: clientConnection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: encryptedDataConverter(config.payloadKeys),
    interceptors: tracing?.clientInterceptors,
  });
  await ensureReconciliationSchedule(client, {
    taskQueue: config.TASK_QUEUE,
    intervalSeconds: config.RECONCILIATION_INTERVAL_SECONDS,
    settleSeconds: config.RECONCILIATION_SETTLE_SECONDS,
  });
  const jobs = startBackgroundJobs(config, db, providers, log);
  log.info(
    { taskQueue: config.TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS, metrics: metrics?.url },
    'worker polling',
  );
  return {
    async shutdown() {
      // Stop polling first: in-flight activities finish (within the grace time) while the rest stops.
      log.info({ graceSeconds: config.WORKER_SHUTDOWN_GRACE_SECONDS }, 'worker draining');
      const drained = polling.drain();
      drained.catch(() => undefined); // handled below; not "unhandled" while the rest stops
      await jobs.stop();
      await drained;
      await metrics?.close();
      await clientConnection.close();
      await connection.close();
      await db.$disconnect();
      await ownTracing?.shutdown();
      log.info('worker stopped');
    },
  };
}

/** The SDK's runtime: its logs through pino, its metrics to Core's exporter on `coreAddress`. */
function installRuntime(log: Logger, coreAddress: string | undefined) {
  try {
    // Our own ordered stop owns SIGINT/SIGTERM, so the runtime must not drain the worker behind its back.
    Runtime.install({
      shutdownSignals: [],
      logger: sdkLoggerFrom(log.child({ component: 'temporal-sdk' })),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} },
        ...(coreAddress ? { metrics: prometheusTelemetry(coreAddress) } : {}),
      },
    });
  } catch {
    // already installed in this process
  }
}

/** /metrics, /healthz and /readyz, when WORKER_METRICS_PORT is set. */
function startWorkerMetrics(
  config: Config,
  db: Db,
  log: Logger,
  coreAddress: string | undefined,
  ready: () => boolean,
) {
  if (!config.WORKER_METRICS_PORT) return Promise.resolve(undefined);
  const port = config.WORKER_METRICS_PORT;
  return startMetricsServer({
    host: config.WORKER_METRICS_HOST,
    port,
    coreAddress,
    registry: businessRegistry(db, config),
    ready,
  }).catch((err) => {
    // Metrics are not worth a worker that does not poll: a taken port is logged, and the worker runs on.
    log.error({ err, port }, 'worker metrics endpoint not started (set WORKER_METRICS_PORT to a free port, or 0)');
    return undefined;
  });
}

/** What a worker runs beside its task queue: both outbox dispatchers, the analytics refresher, housekeeping. */
function startBackgroundJobs(config: Config, db: Db, providers: Providers, log: Logger) {
  const jobs = [
    startNotificationDispatcher({
      db,
      notifiers: providers.notifiers,
      log,
      sendTimeoutMs: config.NOTICE_SEND_TIMEOUT_MS,
      scans: {
        intervalMs: config.NOTICE_SCAN_INTERVAL_SECONDS * 1000,
        slaLeadMs: config.NOTICE_SLA_WARNING_LEAD_SECONDS * 1000,
        lowStockThreshold: config.NOTICE_LOW_STOCK_THRESHOLD,
      },
    }),
    startAnalyticsRefresher({ db, log, intervalMs: config.ANALYTICS_REFRESH_MS }),
    startWebhookDispatcher({ db, log, ...webhookDispatcherOptions(config) }),
    startHousekeeping({ db, log, config }),
  ];
  return {
    async stop() {
      for (const job of jobs) await job.stop();
    },
  };
}

if (require.main === module) {
  runWorker().then(
    (w) => {
      // SIGTERM drains (docs/operations.md, "Worker shutdown"); past the grace and force times it exits anyway.
      const stop = () =>
        void w.shutdown().then(
          () => process.exit(0),
          (err) => {
            console.error(err instanceof Error ? err.message : err);
            process.exit(1);
          },
        );
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
