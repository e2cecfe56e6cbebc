import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { createDb } from '../store/db';
import { encryptedDataConverter } from '../platform/codec';
import { createLogger } from '../platform/logging';
import { tracingFromConfig } from '../platform/telemetry';
import { buildApp } from './app';

/** The API process (`npm run api`): validates configuration, connects, listens, stops gracefully. */
export async function runApi(env: NodeJS.ProcessEnv = process.env): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig(env);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required for the API process');
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const db = createDb(config.DATABASE_URL, config.DB_POOL_SIZE);
  const tracing = await tracingFromConfig(config, 'orders-api');
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    dataConverter: encryptedDataConverter(config.payloadKeys),
    interceptors: tracing?.clientInterceptors,
  });
  const app = await buildApp({ config, db, temporal }, { logger, tracer: tracing?.tracer });
  const url = await app.listen({ host: config.HOST, port: config.PORT });
  return {
    url,
    async close() {
      await app.close();
      await connection.close();
      await db.$disconnect();
      await tracing?.shutdown();
    },
  };
}

if (require.main === module) {
  runApi().then(
    (api) => {
      const stop = () => void api.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
