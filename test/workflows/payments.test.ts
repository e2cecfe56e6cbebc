import { parcelTracking } from '../../contract';
import { createMerchant, createSku, providerBooks, stockOf } from '../helpers/catalog';
import { recordHistory } from '../helpers/fixtures';
import {
  keyed,
  deliverAll,
  KEYS,
  orderBody,
  postTracking,
  submitOrder,
  waitForOrder,
  waitForStatus,
  useStack,
} from '../helpers/stack';

const stack = useStack();

const walletRef = async (orderId: string) =>
  (await stack.db.payment.findFirstOrThrow({ where: { orderId } })).providerRef!;

test.each(['wechat_pay', 'alipay'] as const)(
  '%s: payment action, signed (duplicated) notification, then fulfilment',
  async (method) => {
    const { app, providers, db } = stack;
    const sku = await createSku(db, { stock: { 'wh-shanghai': 3 } });
    const { body } = await submitOrder(
      app,
      orderBody({ paymentMethod: method, card: undefined, lines: [{ sku, quantity: 2 }] }),
    );
    const awaiting = await waitForStatus(app, body.id, 'awaiting_payment');
    expect(awaiting.payments[0].action).toMatchObject({
      type: method === 'wechat_pay' ? 'qr_code' : 'redirect',
      url: expect.any(String),
    });
    expect(awaiting.pendingDecision).toMatchObject({ awaiting: 'payment', actor: 'customer' });
    expect(await stockOf(db, sku)).toEqual({ onHand: 3, reserved: 2, allocated: 0 });

    const paid = await providers.wallets[method].pay(await walletRef(body.id), { duplicate: true });
    expect(paid.deliveries).toEqual([200, 200]);
    const fulfilling = await waitForStatus(app, body.id, 'fulfilling');
    expect(fulfilling.payments[0]).toMatchObject({ status: 'captured', captured: body.totals.total });
    expect(await stockOf(db, sku)).toEqual({ onHand: 3, reserved: 0, allocated: 2 });
    expect((await providerBooks(db, body.id)).captured).toBe(body.totals.total);
    recordHistory(`order-${body.id}`, `order-${method}-paid-fulfilling`);
  },
);

test('an unpaid wallet order is cancelled when the payment window ends; its stock is released and the payment closed', async () => {
  const { app, providers, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-beijing': 1 } });
  const { body } = await submitOrder(
    app,
    orderBody({
      paymentMethod: 'alipay',
      card: undefined,
      lines: [{ sku, quantity: 1 }],
      policy: { paymentWindowSeconds: 2 },
    }),
  );
  const cancelled = await waitForStatus(app, body.id, 'cancelled');
  expect(cancelled.cancellation).toEqual({ reason: 'payment window ended without payment', actor: 'system' });
  expect(await stockOf(db, sku)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
  // A late scan cannot pay a closed payment.
  await expect(providers.wallets.alipay.pay(await walletRef(body.id))).rejects.toThrow();
  expect((await providerBooks(db, body.id)).captured).toBe(0);
});

test('tracking heard before the order books its parcel is kept for it (a retried workflow task books after the courier reported)', async () => {
  // As after a worker died past its booking: the courier's webhooks reach the order before its task books again.
  const { app, providers, db, client } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 1 } });
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'wechat_pay', card: undefined, lines: [{ sku, quantity: 1 }] }),
  );
  await waitForStatus(app, body.id, 'awaiting_payment');
  const order = client.workflow.getHandle(`order-${body.id}`);
  const shipmentId = `shipment-${body.id}-1`;
  for (const type of ['picked_up', 'delivered'] as const)
    await order.signal(parcelTracking, {
      shipmentId,
      eventId: `early-${type}`,
      type,
      occurredAt: new Date().toISOString(),
    });

  await providers.wallets.wechat_pay.pay(await walletRef(body.id));
  const delivered = await waitForStatus(app, body.id, 'delivered');
  expect(delivered.shipments[0]).toMatchObject({ shipmentId, status: 'delivered' });
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

test('a provider timeout is retried with the same idempotency key: one authorization and one capture, never two', async () => {
  const { app, db } = stack;
  const { body } = await submitOrder(app, orderBody({ card: { token: 'tok_timeout' } }));
  const order = await waitForOrder(app, body.id, (o) => o.shipments[0]?.status === 'booked');
  expect(order.payments[0]).toMatchObject({ status: 'authorized', captured: 0 });
  expect(await providerBooks(db, body.id)).toMatchObject({ held: body.totals.total, captured: 0 });
  // The gateway loses the first capture's answer too (tok_timeout): the retry captures nothing twice.
  await postTracking(app, order.shipments[0].courier, {
    trackingNumber: order.shipments[0].trackingNumber,
    type: 'picked_up',
  });
  const shipped = await waitForOrder(app, body.id, (o) => o.payments[0].status === 'captured');
  expect(shipped.payments[0]).toMatchObject({ captured: body.totals.total, refunded: 0 });
  const books = await providerBooks(db, body.id);
  expect(books.rows.filter((r) => r.kind === 'authorization' || r.kind === 'charge')).toHaveLength(1);
  expect(books).toMatchObject({ captured: body.totals.total, held: 0 });
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
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'wechat_pay', card: undefined, policy: { paymentWindowSeconds: 1 } }),
  );
  const cancelled = await waitForStatus(app, body.id, 'cancelled');
  expect(cancelled.lines[0].ledger).toMatchObject({ ordered: 1, refunded: 0 });
  expect(cancelled.payments[0]).toMatchObject({ status: 'cancelled', captured: 0, refunded: 0 });
});

describe('cards: authorized at payment, captured at the first hand-over', () => {
  const booked = (id: string) => waitForOrder(stack.app, id, (o) => o.shipments[0]?.status === 'booked');
  const pickUp = (s: { courier: string; trackingNumber: string }, eventId?: string) =>
    postTracking(stack.app, s.courier, {
      trackingNumber: s.trackingNumber,
      type: 'picked_up',
      ...(eventId ? { eventId } : {}),
    });

  test('the hand-over captures once, whatever the courier repeats; nothing is taken before it', async () => {
    const { app, db } = stack;
    const { body } = await submitOrder(app, orderBody());
    const order = await booked(body.id);
    expect(order.payments[0]).toMatchObject({ status: 'authorized', amount: body.totals.total, captured: 0 });
    expect(await providerBooks(db, body.id)).toMatchObject({ held: body.totals.total, captured: 0 });
    // The same pick-up twice (one event id), then a second pick-up event, then the rest: one capture.
    const s = order.shipments[0];
    const answers = await Promise.all([pickUp(s, `evt-${body.id}-a`), pickUp(s, `evt-${body.id}-a`), pickUp(s)]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    const delivered = await deliverAll(app, body.id);
    expect(delivered.payments[0]).toMatchObject({ status: 'captured', captured: body.totals.total, refunded: 0 });
    expect(delivered.timeline.filter((e: { type: string }) => e.type === 'payment.captured')).toHaveLength(1);
    expect(await providerBooks(db, body.id)).toMatchObject({ held: 0, captured: body.totals.total });
    expect(await db.payment.findUniqueOrThrow({ where: { id: order.payments[0].paymentId } })).toMatchObject({
      status: 'captured',
      capturedAmount: body.totals.total,
      voidedAmount: 0,
    });
  });

  test('a support refund before, racing or after the capture: the customer pays the total less the refund, and the gateway agrees', async () => {
    const { app, db } = stack;
    const refund = 700;
    const supportRefund = (id: string) =>
      app.inject({
        method: 'POST',
        url: `/v1/ops/orders/${id}/refund`,
        headers: keyed(KEYS.support),
        payload: { reason: 'goodwill', amount: refund },
      });
    const timings = ['before', 'racing', 'racing', 'after'] as const;
    const orders = await Promise.all(
      timings.map(async (timing) => ({ timing, ...(await submitOrder(app, orderBody())).body })),
    );
    await Promise.all(
      orders.map(async (o) => {
        const s = (await booked(o.id)).shipments[0];
        if (o.timing === 'before') expect((await supportRefund(o.id)).statusCode).toBe(200);
        if (o.timing === 'racing') {
          const answers = await Promise.all([pickUp(s), supportRefund(o.id)]);
          expect(answers.map((a) => a.statusCode)).toEqual([200, 200]);
        } else expect((await pickUp(s)).statusCode).toBe(200);
        if (o.timing === 'after') {
          await waitForOrder(app, o.id, (x) => x.payments[0].status === 'captured');
          expect((await supportRefund(o.id)).statusCode).toBe(200);
        }
      }),
    );
    for (const o of orders) {
      const done = await waitForOrder(
        app,
        o.id,
        (x) => x.payments[0].status === 'captured' && x.payments[0].refunds.length === 1,
      );
      const p = done.payments[0];
      // Released before the capture or refunded after it: either way the customer pays total − refund.
      expect(p.captured - p.refunded).toBe(o.totals.total - refund);
      expect(p.captured + (p.voided ?? 0)).toBe(o.totals.total);
      const books = await providerBooks(db, o.id);
      expect(books.captured - books.refunded).toBe(o.totals.total - refund);
      const row = await db.payment.findUniqueOrThrow({ where: { id: p.paymentId } });
      expect(row.capturedAmount - row.refundedAmount).toBe(o.totals.total - refund);
      const [decision, ...more] = await db.refund.findMany({ where: { orderId: o.id } });
      expect(more).toEqual([]);
      expect(decision).toMatchObject({ amount: refund, status: 'succeeded' });
      if (o.timing === 'before') expect(decision.kind).toBe('release');
      if (o.timing === 'after') expect(decision.kind).toBe('refund');
    }
  });
});
