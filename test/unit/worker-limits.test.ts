// Decision 115: a workflow thread's old generation follows the cache the worker is given; the main
// thread's is a launch flag (WORKER_NODE_FLAGS).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import {
  capWorkflowThreadHeaps,
  WORKER_MAIN_HEAP_MB,
  WORKER_NODE_FLAGS,
  workflowThreadHeapMb,
} from '../../workers/limits';

/** The old-generation limit, in MB, of a thread started now (what the SDK's workflow threads get). */
const newThreadLimitMb = () =>
  new Promise<number>((resolve, reject) => {
    const thread = new Worker(
      `require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)`,
      { eval: true },
    );
    thread.once('message', (bytes: number) => resolve(bytes / 2 ** 20)).once('error', reject);
  });

test('a workflow thread is given room for its share of the cache on top of an empty thread', () => {
  expect(workflowThreadHeapMb(100, 2)).toBe(114);
  expect(workflowThreadHeapMb(101, 2)).toBe(115);
  expect(workflowThreadHeapMb(500, 2)).toBe(314);
  expect(workflowThreadHeapMb(0, 4)).toBe(64);
});

test('threads started after the cap is set take it; the thread that set it keeps its own', async () => {
  const before = getHeapStatistics().heap_size_limit;
  try {
    capWorkflowThreadHeaps(100, 2);
    const small = await newThreadLimitMb();
    capWorkflowThreadHeaps(300, 2);
    const large = await newThreadLimitMb();
    // The limit also counts the young generation, the same for both: the difference is the caps'.
    expect(small).toBeGreaterThanOrEqual(workflowThreadHeapMb(100, 2));
    expect(large - small).toBe(workflowThreadHeapMb(300, 2) - workflowThreadHeapMb(100, 2));
    expect(getHeapStatistics().heap_size_limit).toBe(before);
  } finally {
    setFlagsFromString('--max-old-space-size=0'); // V8's default again for this process's later threads
  }
});

test('the main thread is capped on the command line, the same in every launcher', () => {
  expect(WORKER_NODE_FLAGS).toContain(`--max-old-space-size=${WORKER_MAIN_HEAP_MB}`);
});
