/**
 * `npm run bundle:replay-cost [-- N] [-- history-name]`: what an eviction costs. A cached workflow
 * evicted from the worker's cache replays its whole history on its next task; this replays a recorded
 * order history of the current lifecycle version (test/fixtures/v<n>) N times in one worker and prints the CPU per replay.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { CURRENT_LIFECYCLE } from '../../contract';
import { encryptedDataConverter } from '../../platform/codec';
import { buildWorkflowBundle } from '../workflow-bundle';

async function main() {
  const count = Number(process.argv[2]) || 50;
  const name = process.argv[3] ?? 'order-card-authorized-completed';
  const fixtures = path.resolve(__dirname, '..', '..', 'test', 'fixtures', `v${CURRENT_LIFECYCLE}`);
  const file = path.join(fixtures, `${name}.history.json`);
  const history = JSON.parse(readFileSync(file, 'utf8')) as { events: unknown[] };
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const workflowBundle = { code: (await buildWorkflowBundle()).code };
  const dataConverter = encryptedDataConverter(loadConfig({}).payloadKeys);
  const runs = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ workflowId: `${name}-${i}`, history: history as never }));
  const replay = async (n: number) => {
    for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter }, runs(n)))
      if (result.error) throw result.error;
  };
  await replay(3); // warm-up: the bundle's context and the JIT
  const cpu = process.cpuUsage();
  const started = performance.now();
  await replay(count);
  const used = process.cpuUsage(cpu);
  const ms = (used.user + used.system) / 1000 / count;
  console.log(
    `${name} (${history.events.length} events): ${ms.toFixed(1)} ms CPU and ${((performance.now() - started) / count).toFixed(1)} ms wall per replay (${count} replays; this process only)`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
