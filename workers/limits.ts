import { availableParallelism } from 'node:os';

/**
 * What one worker takes on at once (decision 096), apart from the worker so the benchmark's null
 * worker (bench/ceiling/worker.ts) runs under the same limits. A workflow task's 10 s clock runs from
 * the moment the worker takes it, and its database steps (local activities) need a connection: tasks
 * or steps taken beyond the pool only queue inside the worker with their clocks running, and a task
 * that times out is redone from the server's shared queue, behind every new workflow. Workflow code
 * runs on one thread per core, at most 4 (each keeps a V8 context of its own): the SDK's one thread
 * held every order's workflow code to one core.
 */
export function workerLimits(connections: number) {
  return {
    maxConcurrentWorkflowTaskExecutions: connections,
    // A provider call's first attempt is a local activity too (decision 110): it holds a connection
    // only for its own short writes and waits on the provider between them.
    maxConcurrentLocalActivityExecutions: 2 * connections,
    workflowThreadPoolSize: Math.min(4, availableParallelism()),
  };
}

/**
 * Node flags every worker process starts with (decision 106): V8's young generation held to 2 MB
 * semi-spaces in every isolate (the main thread and each workflow thread). With the default, a busy
 * worker's RSS grew ~300 MB more for no less CPU. The launchers repeat them (docker-compose.yml,
 * `npm run worker`, the benchmark; test/unit/deploy-files.test.ts keeps them the same): V8 sizes an
 * isolate's heap when it starts, so a worker cannot set them on itself.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2'] as const;

/**
 * The environment every worker process starts with (decision 112). glibc gives each thread that
 * allocates an arena of its own, up to 8 per core (the SDK core's runtime threads, each workflow
 * thread), and an arena keeps what it freed: two arenas held a saturated worker at ~400 MB of RSS
 * where it reached ~530, for the same CPU. glibc reads it when the process starts, so the launchers
 * set it (test/unit/deploy-files.test.ts keeps them the same).
 */
export const WORKER_ENVIRONMENT = { MALLOC_ARENA_MAX: '2' } as const;
