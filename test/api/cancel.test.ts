// docs/product.md and docs/api.md, cancellation: POST /v1/orders/{id}/cancel with a `reason`, until the first shipment is
// handed to the courier; 409 once no longer cancellable. Plus the other order actions' refusals.
import { randomUUID } from 'node:crypto';
import {
  auth,
  deliverAll,
  KEYS,
  orderBody,
  postTracking,
  submitOrder,
  waitForOrder,
  waitForStatus,
  useStack,
} from '../helpers/stack';
import { createProduct, expectOk, expectProblem, send } from './api-helpers';
import { recordHistory } from '../helpers/fixtures';

const stack = useStack();
let sku: string;
beforeAll(async () => {
  sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 100 } });
});

const cancel = (id: string, payload?: unknown, key: string = KEYS.platform) =>
  send(stack.app, 'POST', `/v1/orders/${id}/cancel`, key, payload);

/** A card order of `quantity` units whose shipment is booked (not yet handed over). */
async function bookedOrder(quantity = 1) {
  const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity }] }));
  expectOk(res, 201);
  return waitForOrder(stack.app, body.id, (o) => o.status === 'fulfilling' && Boolean(o.shipments[0]?.trackingNumber));
}

const stock = async () =>
  await stack.db.inventory.findUniqueOrThrow({ where: { sku_warehouseId: { sku, warehouseId: 'wh-shanghai' } } });

describe('reason is required', () => {
  let order: any;
  beforeAll(async () => {
    order = await bookedOrder();
  });

  test.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['a blank reason', { reason: '   ' }],
    ['a reason that is not a string', { reason: 42 }],
    ['a reason of 501 characters', { reason: 'x'.repeat(501) }],
  ])('%s → 400 naming reason, and the order is not cancelled', async (_what, payload) => {
    expectProblem(await cancel(order.id, payload), 400, '/problems/validation-error', ['reason']);
    const now = await waitForOrder(stack.app, order.id, () => true);
    expect(now).toMatchObject({ status: 'fulfilling', cancellation: null });
    expect(now.shipments[0].status).toBe('booked');
  });
});

describe('before hand-over', () => {
  test('platform cancels with a reason → 200 cancelled: refunded, booking cancelled, stock released', async () => {
    const before = await stock();
    const order = await bookedOrder(2);
    expect((await stock()).allocated).toBe(before.allocated + 2);

    const res = await cancel(order.id, { reason: 'customer changed their mind' });
    expect(expectOk(res)).toMatchObject({
      id: order.id,
      status: 'cancelled',
      cancellation: { reason: 'customer changed their mind', actor: 'platform:dev platform' },
    });
    const done = await waitForStatus(stack.app, order.id, 'cancelled');
    expect(done.shipments[0].status).toBe('cancelled');
    expect(done.payments).toEqual([
      expect.objectContaining({ status: 'voided', captured: 0, refunded: 0, voided: 2000 }),
    ]);
    const after = await stock();
    expect(after.allocated).toBe(before.allocated);
    expect(after.onHand).toBe(before.onHand);

    // A second cancel of the finished order → 409.
    expectProblem(await cancel(order.id, { reason: 'again' }), 409, '/problems/not-allowed-in-state');
  });

  test('support may cancel too', async () => {
    const order = await bookedOrder();
    expect(expectOk(await cancel(order.id, { reason: 'fraud suspected' }, KEYS.support))).toMatchObject({
      status: 'cancelled',
      cancellation: { actor: 'support:dev support' },
    });
  });

  test('a wallet order awaiting payment is cancelled and its payment closed', async () => {
    const { res, body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], paymentMethod: 'alipay', card: undefined }),
    );
    expectOk(res, 201);
    await waitForStatus(stack.app, body.id, 'awaiting_payment');
    expect(expectOk(await cancel(body.id, { reason: 'too slow to pay' }))).toMatchObject({ status: 'cancelled' });
    const done = await waitForStatus(stack.app, body.id, 'cancelled');
    expect(done.payments[0]).toMatchObject({ status: 'cancelled', captured: 0, refunded: 0 });
    expect(
      await stack.db.stockHold.count({ where: { orderId: body.id, state: { in: ['reserved', 'allocated'] } } }),
    ).toBe(0);
  });
});

describe('after hand-over', () => {
  test('after pick-up → 409 for the platform; nothing is undone', async () => {
    const order = await bookedOrder();
    const s = order.shipments[0];
    expectOk(await postTracking(stack.app, s.courier, { trackingNumber: s.trackingNumber, type: 'picked_up' }));
    await waitForOrder(stack.app, order.id, (o) => o.shipments[0].status === 'picked_up');

    expectProblem(await cancel(order.id, { reason: 'too late' }), 409, '/problems/not-allowed-in-state');
    const now = await waitForOrder(stack.app, order.id, () => true);
    expect(now).toMatchObject({ cancellation: null, payments: [expect.objectContaining({ refunded: 0 })] });
    expect(['shipped', 'partially_shipped', 'fulfilling']).toContain(now.status);
    expect(now.shipments[0].status).toBe('picked_up');
  });

  test('after delivery → 409; the order stays delivered and nothing is refunded', async () => {
    const order = await bookedOrder();
    await deliverAll(stack.app, order.id);

    const problem = expectProblem(
      await cancel(order.id, { reason: 'changed my mind' }),
      409,
      '/problems/not-allowed-in-state',
    );
    expect(problem.title).toBe('Conflict');
    const now = await waitForOrder(stack.app, order.id, () => true);
    expect(now).toMatchObject({
      status: 'delivered',
      cancellation: null,
      payments: [expect.objectContaining({ captured: 1000, refunded: 0 })],
    });
    expect(now.lines[0].ledger).toMatchObject({ delivered: 1, refunded: 0 });
  });
});

describe('other order actions refuse what the state does not allow', () => {
  test('confirm-receipt and extend-receipt before delivery → 409', async () => {
    const order = await bookedOrder();
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/confirm-receipt`, KEYS.platform),
      409,
      '/problems/not-allowed-in-state',
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/extend-receipt`, KEYS.platform),
      409,
      '/problems/not-allowed-in-state',
    );
    const now = await waitForOrder(stack.app, order.id, () => true);
    expect(now).toMatchObject({ status: 'fulfilling', receiptExtended: false });
    expect(now.allowedActions).not.toContain('confirmReceipt');
  });

  test('extend-receipt once after delivery → 200 with a later deadline; twice → 409', async () => {
    const order = await bookedOrder();
    const delivered = await deliverAll(stack.app, order.id);
    const until = delivered.pendingDecision.until;
    expect(delivered.allowedActions).toEqual([
      'confirmReceipt',
      'extendReceipt',
      'requestAfterSales',
      'supportRefund',
      'supportExtendWindow',
    ]);
    const res = await send(stack.app, 'POST', `/v1/orders/${order.id}/extend-receipt`, KEYS.platform);
    const extended = expectOk(res);
    expect(extended).toMatchObject({ status: 'delivered', receiptExtended: true });
    expect(extended.allowedActions).not.toContain('extendReceipt');
    expect(Date.parse(extended.pendingDecision.until)).toBeGreaterThan(Date.parse(until));
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/extend-receipt`, KEYS.platform),
      409,
      '/problems/not-allowed-in-state',
    );
    recordHistory(`order-${order.id}`, 'order-receipt-extended');
  });

  test('merchant-decision on an auto-accepted order → 409, and a reject needs a reason (400)', async () => {
    const order = await bookedOrder();
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/merchant-decision`, KEYS.merchant, { decision: 'accept' }),
      409,
      '/problems/not-allowed-in-state',
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/merchant-decision`, KEYS.merchant, { decision: 'reject' }),
      400,
      '/problems/validation-error',
      ['reason'],
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/merchant-decision`, KEYS.merchant, { decision: 'maybe' }),
      400,
      '/problems/validation-error',
      ['decision'],
    );
    const now = await stack.app.inject({ method: 'GET', url: `/v1/orders/${order.id}`, headers: auth(KEYS.support) });
    expect(expectOk(now)).toMatchObject({ status: 'fulfilling', rejection: null });
  });

  test('an unknown order id in any action → 404', async () => {
    const id = `ord_${randomUUID()}`;
    for (const path of ['cancel', 'confirm-receipt', 'extend-receipt']) {
      expectProblem(
        await send(stack.app, 'POST', `/v1/orders/${id}/${path}`, KEYS.platform, { reason: 'x' }),
        404,
        '/problems/not-found',
      );
    }
  });
});
