import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { createSimulatedProviders } from '../adapters/simulators';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb } from '../store/db';
import { encryptedDataConverter } from '../platform/codec';
import { createLogger } from '../platform/logging';
import { startNotificationDispatcher } from '../workers/notifications';
import { ensureReconciliationSchedule } from '../workers/schedules';
import { createWorker } from '../workers/worker';
import { startEmbeddedDatabase } from './embedded-db';
import { applyMigrations } from './migrations';
import { seedDemoCatalog } from './seed';
import { DEV_SERVER_SQLITE_PRAGMAS, findTemporalCli } from './temporal-cli';

/**
 * `npm start`: the whole engine on one machine with embedded defaults — a Temporal dev server
 * persisted under DATA_DIR (unless TEMPORAL_ADDRESS is given), an embedded PostgreSQL-compatible
 * database (PGlite, unless DATABASE_URL is given), migrations, the demo catalog, a worker and the API.
 */
async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'start');
  const dataDir = path.resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<unknown>> = [];

  // Our own ordered stop owns SIGINT/SIGTERM, so the runtime must not drain the worker behind its back.
  Runtime.install({ shutdownSignals: [], telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } } });

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL;
  if (!process.env.TEMPORAL_ADDRESS) {
    const [ip, port] = ['127.0.0.1', 7233];
    const cli = findTemporalCli();
    log.info({ cli: cli ?? 'download' }, 'starting the Temporal dev server');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        ip,
        port,
        ui: true,
        uiPort: 8233,
        dbFilename: path.join(dataDir, 'temporal.db'),
        log: { format: 'pretty', level: 'error' },
        extraArgs: DEV_SERVER_SQLITE_PRAGMAS,
      },
    });
    stops.push(() => env.teardown());
    temporalAddress = `${ip}:${port}`;
    temporalUi = 'http://127.0.0.1:8233';
  }

  let databaseUrl = config.DATABASE_URL;
  let poolSize = config.DB_POOL_SIZE;
  if (!databaseUrl) {
    const embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, 'pglite'), port: 5433 });
    stops.push(() => embedded.stop());
    databaseUrl = embedded.url;
    poolSize = 1; // PGlite serves one session: the worker and the API share this one client
  }
  const applied = await applyMigrations(databaseUrl);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const db = createDb(databaseUrl, poolSize);
  stops.push(() => db.$disconnect());
  await seedDemoCatalog(db);

  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const providers = createSimulatedProviders(db, { webhookBaseUrl: config.publicBaseUrl });
  const worker = await createWorker({ connection: nativeConnection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TASK_QUEUE, db, providers, payloadKeys: config.payloadKeys });
  const running = worker.run();
  const dispatcher = startNotificationDispatcher({ db, notifiers: providers.notifiers, log });
  stops.push(async () => {
    await dispatcher.stop();
    worker.shutdown();
    await running;
    await nativeConnection.close();
  });

  const client = new Client({ connection: await (await import('@temporalio/client')).Connection.connect({ address: temporalAddress }), namespace: config.TEMPORAL_NAMESPACE, dataConverter: encryptedDataConverter(config.payloadKeys) });
  await ensureReconciliationSchedule(client, { taskQueue: config.TASK_QUEUE, intervalSeconds: config.RECONCILIATION_INTERVAL_SECONDS, settleSeconds: config.RECONCILIATION_SETTLE_SECONDS });
  const app = await buildApp({ config: { ...config, TEMPORAL_UI_URL: temporalUi }, db, temporal: client }, { logger: createLogger(config.LOG_LEVEL, 'api') });
  const url = await app.listen({ host: config.HOST, port: config.PORT });
  stops.push(() => app.close());

  console.log(
    [
      '',
      'Order fulfillment engine is running',
      `  API          ${url}/v1`,
      `  API docs     ${url}/docs   (raw: ${url}/openapi.json)`,
      `  Health       ${url}/healthz  ${url}/readyz  ${url}/metrics`,
      `  Temporal UI  ${temporalUi}`,
      `  Database     ${config.DATABASE_URL ? 'DATABASE_URL' : `embedded PGlite in ${path.join(dataDir, 'pglite')}`}`,
      '  Dev API keys dev-platform-key, dev-merchant-key, dev-support-key (README "Configuration")',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log.info('stopping');
    for (const s of stops.reverse()) await s().catch((err) => log.error({ err }, 'while stopping'));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
