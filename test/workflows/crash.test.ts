import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createSku, providerBooks, stockOf } from '../helpers/catalog';
import { orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';

// The spawned process is a whole worker (workers/main.ts): it also runs both outbox dispatchers, with
// production settings (private webhook URLs refused, retries spread over a day). No other file may
// dispatch meanwhile, or this one would claim their deliveries and notices and push them back.
const stack = useStack({ worker: false, quietOutboxes: ['notifications', 'webhooks'] });
let workerProcess: ChildProcess | undefined;
afterAll(() => workerProcess?.kill('SIGKILL'));

/** A real worker process (`npm run worker`) on this file's task queue. */
function spawnWorker(): Promise<ChildProcess> {
  const root = path.resolve(__dirname, '..', '..');
  // `node --import tsx`, not the tsx launcher: the launcher runs the worker in a child of its own, which
  // a SIGKILL of the launcher leaves running (it went on claiming other files' deliveries).
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: process.env.TEST_DATABASE_URL,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
      TASK_QUEUE: stack.taskQueue,
      LOG_LEVEL: 'info',
      WORKER_METRICS_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('worker polling') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

test('a worker killed mid-flight loses no order and charges none twice', async () => {
  const { app, db } = stack;
  workerProcess = await spawnWorker();
  const sku = await createSku(db, { stock: { 'wh-shanghai': 12 } });
  const orders = await Promise.all(
    Array.from({ length: 12 }, () =>
      submitOrder(
        app,
        orderBody({
          customer: { id: `crash-${randomUUID()}`, name: '王五', phone: '+86 136 0000 0000' },
          lines: [{ sku, quantity: 1 }],
        }),
      ),
    ),
  );
  // Kill the worker as soon as the first orders are paid: the others are somewhere in their steps.
  await waitForOrder(app, orders[0].body.id, (o) => o.payments.length > 0, 60_000);
  const killed = new Promise((resolve) => workerProcess!.once('exit', resolve));
  workerProcess.kill('SIGKILL');
  await killed;

  await stack.startWorker();
  const settled = await Promise.all(
    orders.map(({ body }) =>
      waitForOrder(app, body.id, (o) => o.status === 'fulfilling' && o.shipments[0]?.trackingNumber, 90_000),
    ),
  );
  for (const order of settled) {
    const books = await providerBooks(db, order.id);
    expect(books.rows.filter((r) => r.kind === 'authorization')).toHaveLength(1);
    expect(books.rows.filter((r) => r.kind === 'booking')).toHaveLength(1);
    expect(books).toMatchObject({ held: order.totals.total, captured: 0 });
    expect(order.payments).toEqual([
      expect.objectContaining({ status: 'authorized', amount: order.totals.total, refunded: 0 }),
    ]);
  }
  expect(await stockOf(db, sku)).toEqual({ onHand: 12, reserved: 0, allocated: 12 });
  expect(await db.shipment.count({ where: { orderId: { in: settled.map((o) => o.id) } } })).toBe(12);
}, 150_000);
