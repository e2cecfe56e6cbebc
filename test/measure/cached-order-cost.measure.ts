// Measurement, not a check, outside the suite (`npm run bundle:order-heap`): the
// heap that real orders add while they stay cached in their return window (docs/operations.md, "Worker
// cache"). Runs lifecycles to "completed" (the order stays open; its shipment has ended) in batches on
// a worker like the engine's but in this thread (debugMode), so a forced GC measures its heap exactly.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { encryptedDataConverter } from '../../platform/codec';
import { createSku } from '../helpers/catalog';
import { deliverAll, KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';
import { send } from '../api/api-helpers';

const stack = useStack({ worker: false });
const BATCHES = 4;
const PER_BATCH = 25;

async function lifecycle(sku: string) {
  const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  await waitForStatus(stack.app, body.id, 'fulfilling', 120_000);
  await deliverAll(stack.app, body.id);
  await send(stack.app, 'POST', `/v1/orders/${body.id}/confirm-receipt`, KEYS.platform);
  await waitForStatus(stack.app, body.id, 'completed', 120_000);
}

test(
  'heap per cached order in its return window',
  async () => {
    const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    const worker = await Worker.create({
      connection,
      taskQueue: stack.taskQueue,
      dataConverter: encryptedDataConverter(stack.config.payloadKeys),
      workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
      activities: createActivities({
        db: stack.db,
        providers: stack.providers,
        temporal: { client: stack.client, taskQueue: stack.taskQueue },
      }),
      debugMode: true,
      maxCachedWorkflows: 1000,
    });
    await worker.runUntil(() => measure()).finally(() => connection.close());
  },
  30 * 60_000,
);

async function measure() {
  {
    const sku = await createSku(stack.db, { stock: { 'wh-shanghai': 10_000 } });
    await lifecycle(sku); // warm-up: the first workflow's context, the JIT, the connection pools
    const heap = () => {
      (globalThis as { gc?: () => void }).gc?.();
      return process.memoryUsage().heapUsed / 2 ** 20;
    };
    const points = [{ orders: 1, heap: heap() }];
    if (!(globalThis as { gc?: unknown }).gc) throw new Error('run jest with node --expose-gc');
    for (let b = 1; b <= BATCHES; b++) {
      for (let i = 0; i < PER_BATCH; i += 5) await Promise.all(Array.from({ length: 5 }, () => lifecycle(sku)));
      await new Promise((r) => setTimeout(r, 2000));
      points.push({ orders: 1 + b * PER_BATCH, heap: heap() });
    }
    const first = points[0]!;
    const last = points[points.length - 1]!;
    console.log(
      points.map((p) => `${p.orders} orders: heap ${p.heap.toFixed(0)} MB`).join('\n') +
        `\nper cached order: ${((last.heap - first.heap) / (last.orders - first.orders)).toFixed(2)} MB heap`,
    );
  }
}
