import { createMerchant, createSku, providerBooks, stockOf } from '../helpers/catalog';
import { recordHistory } from '../helpers/fixtures';
import { orderBody, submitOrder, waitForOrder, waitForStatus, useStack } from '../helpers/stack';

const stack = useStack();

const walletRef = async (orderId: string) => (await stack.db.payment.findFirstOrThrow({ where: { orderId } })).providerRef!;

test.each(['wechat_pay', 'alipay'] as const)('%s: payment action, signed (duplicated) notification, then fulfilment', async (method) => {
  const { app, providers, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 3 } });
  const { body } = await submitOrder(app, orderBody({ paymentMethod: method, card: undefined, lines: [{ sku, quantity: 2 }] }));
  const awaiting = await waitForStatus(app, body.id, 'awaiting_payment');
  expect(awaiting.payments[0].action).toMatchObject({ type: method === 'wechat_pay' ? 'qr_code' : 'redirect', url: expect.any(String) });
  expect(awaiting.pendingDecision).toMatchObject({ awaiting: 'payment', actor: 'customer' });
  expect(await stockOf(db, sku)).toEqual({ onHand: 3, reserved: 2, allocated: 0 });

  const paid = await providers.wallets[method].pay(await walletRef(body.id), { duplicate: true });
  expect(paid.deliveries).toEqual([200, 200]);
  const fulfilling = await waitForStatus(app, body.id, 'fulfilling');
  expect(fulfilling.payments[0]).toMatchObject({ status: 'captured', captured: body.totals.total });
  expect(await stockOf(db, sku)).toEqual({ onHand: 3, reserved: 0, allocated: 2 });
  expect((await providerBooks(db, body.id)).captured).toBe(body.totals.total);
  recordHistory(`order-${body.id}`, `order-${method}-paid-fulfilling`);
});

test('an unpaid wallet order is cancelled when the payment window ends; its stock is released and the payment closed', async () => {
  const { app, providers, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-beijing': 1 } });
  const { body } = await submitOrder(app, orderBody({ paymentMethod: 'alipay', card: undefined, lines: [{ sku, quantity: 1 }], policy: { paymentWindowSeconds: 2 } }));
  const cancelled = await waitForStatus(app, body.id, 'cancelled');
  expect(cancelled.cancellation).toEqual({ reason: 'payment window ended without payment', actor: 'system' });
  expect(await stockOf(db, sku)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
  // A late scan cannot pay a closed payment.
  await expect(providers.wallets.alipay.pay(await walletRef(body.id))).rejects.toThrow();
  expect((await providerBooks(db, body.id)).captured).toBe(0);
});

test('a declined card cancels the order without capturing and releases its stock', async () => {
  const { app, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 2 } });
  const { body } = await submitOrder(app, orderBody({ card: { token: 'tok_decline' }, lines: [{ sku, quantity: 2 }] }));
  const cancelled = await waitForStatus(app, body.id, 'cancelled');
  expect(cancelled.cancellation.reason).toMatch(/payment declined/);
  expect(cancelled.cancellation.actor).toBe('payment-provider');
  expect(await stockOf(db, sku)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
  expect((await providerBooks(db, body.id)).captured).toBe(0);
});

test('a provider timeout is retried with the same idempotency key: one charge, never two', async () => {
  const { app, db } = stack;
  const { body } = await submitOrder(app, orderBody({ card: { token: 'tok_timeout' } }));
  const order = await waitForStatus(app, body.id, 'fulfilling');
  expect(order.payments[0]).toMatchObject({ status: 'captured', captured: body.totals.total });
  const books = await providerBooks(db, body.id);
  expect(books.rows.filter((r) => r.kind === 'charge')).toHaveLength(1);
  expect(books.captured).toBe(body.totals.total);
});

test('risk control rejects an order above the amount limit before any payment', async () => {
  const { app, db } = stack;
  const merchantId = await createMerchant(db, { riskAmountLimit: 100_000 });
  const sku = await createSku(db, { merchantId, price: 60_000, stock: { 'wh-shanghai': 5 } });
  const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 2 }] }));
  const rejected = await waitForStatus(app, body.id, 'rejected');
  expect(rejected.rejection.reason).toMatch(/exceeds the limit/);
  expect(rejected.payments).toEqual([]);
  expect(await stockOf(db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
});

test('risk control rejects a customer placing orders too fast', async () => {
  const { app, db } = stack;
  const customer = { id: `fast-${Date.now()}`, name: '李四', phone: '+86 139 0000 0000' };
  const merchantId = await createMerchant(db, { riskVelocityLimit: 2, riskVelocityWindowSeconds: 3600 });
  const sku = await createSku(db, { merchantId, stock: { 'wh-shanghai': 5 } });
  const orders = [];
  for (let i = 0; i < 3; i++) {
    orders.push((await submitOrder(app, orderBody({ customer, lines: [{ sku, quantity: 1 }] }))).body);
    await waitForOrder(app, orders[i].id, (o) => o.status !== 'submitted');
  }
  const third = await waitForStatus(app, orders[2].id, 'rejected');
  expect(third.rejection.reason).toMatch(/orders within/);
  expect((await waitForOrder(app, orders[0].id, (o) => o.status !== 'submitted')).status).not.toBe('rejected');
});

test('an order cancelled before payment refunds nothing and marks no line refunded', async () => {
  const { app } = stack;
  const { body } = await submitOrder(app, orderBody({ paymentMethod: 'wechat_pay', card: undefined, policy: { paymentWindowSeconds: 1 } }));
  const cancelled = await waitForStatus(app, body.id, 'cancelled');
  expect(cancelled.lines[0].ledger).toMatchObject({ ordered: 1, refunded: 0 });
  expect(cancelled.payments[0]).toMatchObject({ status: 'cancelled', captured: 0, refunded: 0 });
});
