// An order action (a Temporal Update: confirm-receipt, cancel) that ends the order's workflow must
// not fail because another event (a webhook, a shipment's progress) reached the workflow meanwhile.
// The race is made deterministic: the test holds a row lock on what the Update's last workflow task
// writes (the order's read-model row, or the SKU's inventory row), so that task stays open (its local
// activity waits) while a webhook signals the order; the task then completes the workflow with a new
// event pending. Temporal rejects such a completion (UnhandledCommand) and, when the Update was
// accepted in that same task, fails the Update request with FAILED_PRECONDITION, which the API turns
// into a 500 although nothing was done and a retry would succeed.
import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { paymentNotified } from '../../contract';
import { KEYS, orderBody, postTracking, submitOrder, waitForOrder, waitForStatus, useStack } from '../helpers/stack';
import { createProduct, eventually, expectOk, parcelFinished, send } from './api-helpers';

const stack = useStack();
let sku: string;
beforeAll(async () => {
  sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 50 } });
});

/**
 * Takes a row lock (`lockSql` is a SELECT ... FOR UPDATE) until `release()`; `waiting()` tells when
 * another session (the workflow's projection or stock step) is blocked on it.
 */
async function lockRow(lockSql: string, params: unknown[]) {
  const pg = new PgClient({ connectionString: process.env.TEST_DATABASE_URL });
  await pg.connect();
  await pg.query('BEGIN');
  expect((await pg.query(lockSql, params)).rowCount).toBe(1);
  const lockerPid = (await pg.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  return {
    async waiting(): Promise<boolean> {
      const { rows } = await pg.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [lockerPid],
      );
      return rows[0].n > 0;
    },
    async release() {
      await pg.query('COMMIT');
      await pg.end();
    },
  };
}

/** A signal the order workflow ignores (a failed attempt of a payment it does not know). */
async function paymentNoise(orderId: string) {
  await stack.client.workflow.getHandle(`order-${orderId}`).signal(paymentNotified, {
    eventId: `evt-${randomUUID()}`,
    type: 'payment.failed',
    paymentId: `pay-${orderId}-other`,
    amount: 1,
    currency: 'CNY',
  });
}

/**
 * Runs `action` while a row that the Update's last workflow task writes is locked, signals the order
 * once that write waits (the task is still open), then unlocks: the task that completes the Update
 * and the workflow now finds a new event in the history.
 */
async function raceWithSignal(
  orderId: string,
  lock: Awaited<ReturnType<typeof lockRow>>,
  action: () => ReturnType<typeof send>,
) {
  let pending: ReturnType<typeof send> | undefined;
  try {
    pending = action();
    await eventually(() => lock.waiting(), Boolean, 'the workflow task of the update blocked on the locked row');
    await paymentNoise(orderId);
  } finally {
    await lock.release();
  }
  return pending!;
}

test('confirm-receipt racing a webhook signal → 200 and the order completes', async () => {
  const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  expectOk(res, 201);
  const shipped = await waitForOrder(stack.app, body.id, (o) => Boolean(o.shipments[0]?.trackingNumber));
  const s = shipped.shipments[0];
  expectOk(
    await postTracking(stack.app, s.courier, { trackingNumber: s.trackingNumber, type: 'delivered', signedBy: '张三' }),
  );
  await parcelFinished(stack.client, stack.db, s.shipmentId);
  await waitForOrder(stack.app, body.id, (o) => o.pendingDecision?.awaiting === 'receipt_confirmation');

  // The last task of the order (receipt → completed) projects the order row.
  const lock = await lockRow('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [body.id]);
  const confirm = await raceWithSignal(body.id, lock, () =>
    send(stack.app, 'POST', `/v1/orders/${body.id}/confirm-receipt`, KEYS.platform),
  );
  expect(expectOk(confirm, 200)).toMatchObject({ id: body.id, status: 'completed' });
  await waitForStatus(stack.app, body.id, 'completed');
});

test('cancel racing a webhook signal → 200 and the order is cancelled', async () => {
  const { res, body } = await submitOrder(
    stack.app,
    orderBody({ lines: [{ sku, quantity: 2 }], paymentMethod: 'wechat_pay', card: undefined }),
  );
  expectOk(res, 201);
  await waitForStatus(stack.app, body.id, 'awaiting_payment');
  const before = await stack.db.inventory.findUniqueOrThrow({
    where: { sku_warehouseId: { sku, warehouseId: 'wh-shanghai' } },
  });

  // The last task of a cancelled wallet order (after the payment is closed) releases its stock.
  const lock = await lockRow('SELECT sku FROM inventory WHERE sku = $1 AND warehouse_id = $2 FOR UPDATE', [
    sku,
    'wh-shanghai',
  ]);
  const cancel = await raceWithSignal(body.id, lock, () =>
    send(stack.app, 'POST', `/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'customer changed their mind' }),
  );
  expect(expectOk(cancel, 200)).toMatchObject({ id: body.id, status: 'cancelled' });
  const order = await waitForStatus(stack.app, body.id, 'cancelled');
  expect(order.cancellation).toMatchObject({ reason: 'customer changed their mind' });
  expect(order.payments[0]).toMatchObject({ status: 'cancelled', captured: 0 });
  const after = await stack.db.inventory.findUniqueOrThrow({
    where: { sku_warehouseId: { sku, warehouseId: 'wh-shanghai' } },
  });
  expect(after.reserved).toBe(before.reserved - 2);
});

test('a merchant rejecting a cash-on-delivery order, racing a webhook signal → 200 and the order is rejected', async () => {
  const manualSku = await createProduct(stack.app, { key: KEYS.manualMerchant, stock: { 'wh-shanghai': 10 } });
  const { res, body } = await submitOrder(
    stack.app,
    orderBody({ lines: [{ sku: manualSku, quantity: 1 }], paymentMethod: 'cod', card: undefined }),
  );
  expectOk(res, 201);
  await waitForStatus(stack.app, body.id, 'awaiting_merchant');

  // Nothing to refund: the rejection's only steps release the stock and project the order, in one task.
  const lock = await lockRow('SELECT sku FROM inventory WHERE sku = $1 AND warehouse_id = $2 FOR UPDATE', [
    manualSku,
    'wh-shanghai',
  ]);
  const reject = await raceWithSignal(body.id, lock, () =>
    send(stack.app, 'POST', `/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, {
      decision: 'reject',
      reason: 'cannot make it in time',
    }),
  );
  expect(expectOk(reject, 200)).toMatchObject({ id: body.id, status: 'rejected' });
  const order = await waitForStatus(stack.app, body.id, 'rejected');
  expect(order.rejection.reason).toContain('cannot make it in time');
  const inventory = await stack.db.inventory.findUniqueOrThrow({
    where: { sku_warehouseId: { sku: manualSku, warehouseId: 'wh-shanghai' } },
  });
  expect(inventory).toMatchObject({ onHand: 10, reserved: 0, allocated: 0 });
});
