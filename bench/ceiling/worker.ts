/**
 * The ceiling's worker process (`node --import tsx bench/ceiling/worker.ts`, started by
 * bench/ceiling/run.ts): the null interpreter workflow and, for every activity name of the shape,
 * an activity that returns a fixed small value at once. Worker options as the engine's worker
 * (workers/worker.ts): the same concurrency limits and workflow cache; the default data converter.
 *
 * Environment: TEMPORAL_ADDRESS, TASK_QUEUE, CEILING_SHAPE_FILE (the lifecycle shape as JSON),
 * DB_POOL_SIZE (the engine worker's pool, which bounds its workflow tasks and local activities:
 * workers/limits.ts), WORKER_MAX_CONCURRENT_WORKFLOW_TASKS / WORKER_MAX_CONCURRENT_ACTIVITIES,
 * WORKER_MAX_CACHED_WORKFLOWS (each default: the engine worker's).
 */
import { readFileSync } from 'node:fs';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import { DEFAULT_DB_POOL_SIZE, DEFAULT_MAX_CACHED_WORKFLOWS } from '../../config';
import { capWorkflowThreadHeaps, workerLimits } from '../../workers/limits';
import type { LifecycleShape } from './shape-types';

const need = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

/** Every (local) activity name the shape uses, each a no-op. */
export function nullActivities(shape: LifecycleShape): Record<string, () => Promise<string>> {
  const names = Object.values(shape.workflows).flatMap((w) =>
    w.groups.flatMap((g) => g.commands.flatMap((c) => (c.c === 'la' || c.c === 'activity' ? [c.name] : []))),
  );
  return Object.fromEntries([...new Set(names)].map((n) => [n, async () => 'ok']));
}

async function main() {
  const quiet = () => undefined;
  Runtime.install({
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
  });
  const shape = JSON.parse(readFileSync(need('CEILING_SHAPE_FILE'), 'utf8')) as LifecycleShape;
  const connection = await NativeConnection.connect({ address: need('TEMPORAL_ADDRESS') });
  const limits = workerLimits(Number(process.env.DB_POOL_SIZE ?? DEFAULT_DB_POOL_SIZE));
  const maxCachedWorkflows = Number(process.env.WORKER_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS);
  capWorkflowThreadHeaps(maxCachedWorkflows, limits.workflowThreadPoolSize);
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: need('TASK_QUEUE'),
    workflowsPath: require.resolve('./workflows'),
    activities: nullActivities(shape),
    ...limits,
    maxConcurrentWorkflowTaskExecutions: Number(
      process.env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? limits.maxConcurrentWorkflowTaskExecutions,
    ),
    maxConcurrentActivityTaskExecutions: Number(process.env.WORKER_MAX_CONCURRENT_ACTIVITIES ?? 100),
    maxCachedWorkflows,
    shutdownGraceTime: 1000,
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => worker.shutdown());
  await worker.run();
  await connection.close();
}

if (require.main === module)
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
