import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';

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

/** The main thread's old generation (decision 115): twice the ~65 MB a saturated worker keeps live there. */
export const WORKER_MAIN_HEAP_MB = 128;

/**
 * Node flags every worker process starts with: V8's young generation held to 2 MB semi-spaces in
 * every isolate (the main thread and each workflow thread; decision 106), and the main thread's old
 * generation capped (decision 115). Without them a busy worker's heaps grew to several times what
 * they keep live, for no less CPU. The launchers repeat them (docker-compose.yml, `npm run worker`,
 * the benchmark; test/unit/deploy-files.test.ts keeps them the same): V8 sizes an isolate's heap
 * when it starts, so a worker cannot set them on its own main thread.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=2', `--max-old-space-size=${WORKER_MAIN_HEAP_MB}`] as const;

/** An empty workflow thread's ~30 MB live (the SDK and the workflow bundle), doubled for its garbage. */
const EMPTY_WORKFLOW_THREAD_MB = 64;
/** A cached workflow's at most ~0.5 MB live, doubled likewise. */
const CACHED_WORKFLOW_MB = 1;

/**
 * A workflow thread's old generation, in MB (decision 115): an empty thread's and its share of the
 * cache. Threads take new workflows where fewest are, so a share is the cache divided among them.
 */
export function workflowThreadHeapMb(maxCachedWorkflows: number, threads: number) {
  return EMPTY_WORKFLOW_THREAD_MB + CACHED_WORKFLOW_MB * Math.ceil(maxCachedWorkflows / threads);
}

/**
 * Sets the old-generation cap of the workflow threads the worker is about to create: a V8 flag, read
 * by every isolate when it starts, so the threads take it while the main thread keeps the one it was
 * launched with. Called before Worker.create, as the cap follows the cache the worker is given.
 */
export function capWorkflowThreadHeaps(maxCachedWorkflows: number, threads: number) {
  setFlagsFromString(`--max-old-space-size=${workflowThreadHeapMb(maxCachedWorkflows, threads)}`);
}

/**
 * The environment every worker process starts with (decision 112). glibc gives each thread that
 * allocates an arena of its own, up to 8 per core (the SDK core's runtime threads, each workflow
 * thread), and an arena keeps what it freed: two arenas held a saturated worker at ~400 MB of RSS
 * where it reached ~530, for the same CPU. glibc reads it when the process starts, so the launchers
 * set it (test/unit/deploy-files.test.ts keeps them the same).
 */
export const WORKER_ENVIRONMENT = { MALLOC_ARENA_MAX: '2' } as const;
