/**
 * `npm run bundle:heap [-- N]`: what one cached workflow costs the worker. Starts a dev server and a
 * worker on the engine's workflow bundle (plus a workflow that waits forever), parks N workflows in
 * its cache and reports the heap and RSS they added, per workflow. Each cached workflow loads every
 * module of the bundle into its own module cache, so the bundle's contents are what it costs
 * (docs/operations.md, "Worker cache"). The worker runs in this thread (debugMode) so a forced GC
 * measures the heap exactly; run with `node --expose-gc`.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, Worker, DefaultLogger } from '@temporalio/worker';
import { ensureTemporalCli, TEMPORAL_CLI_MISSING } from '../temporal-cli';

const MB = 1024 * 1024;

function settle(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bundle:heap does)');
  gc();
  gc();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

async function main() {
  const count = Number(process.argv[2]) || 200;
  const cli = ensureTemporalCli();
  if (!cli) throw new Error(TEMPORAL_CLI_MISSING);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli } },
  });
  try {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows') });
    const taskQueue = 'workflow-heap';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      debugMode: true,
      maxCachedWorkflows: count + 10,
    });
    await worker.runUntil(async () => {
      await env.client.workflow
        .execute('parkedWorkflow', { taskQueue, workflowId: 'warm-up', workflowRunTimeout: '1s' })
        .catch(() => undefined);
      const before = settle();
      const started = Array.from({ length: count }, (_, i) =>
        env.client.workflow.start('parkedWorkflow', { taskQueue, workflowId: `parked-${i}` }),
      );
      await Promise.all(started);
      while (worker.getStatus().numCachedWorkflows < count) await new Promise((r) => setTimeout(r, 200));
      const after = settle();
      const per = (bytes: number) => `${(bytes / count / MB).toFixed(2)} MB`;
      console.log(
        `${count} cached workflows: heap +${((after.heap - before.heap) / MB).toFixed(0)} MB (${per(after.heap - before.heap)} each), ` +
          `RSS +${((after.rss - before.rss) / MB).toFixed(0)} MB (${per(after.rss - before.rss)} each); RSS ${(before.rss / MB).toFixed(0)} -> ${(after.rss / MB).toFixed(0)} MB (this process also ran webpack)`,
      );
    });
  } finally {
    await env.teardown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
