import { createSku, providerBooks, stockOf } from '../helpers/catalog';
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

const post = (path: string, key: string, payload?: object) =>
  stack.app.inject({ method: 'POST', url: path, headers: keyed(key), ...(payload ? { payload } : {}) });

describe('cancellation before hand-over is a compensating saga', () => {
  test('while awaiting the merchant: full refund, stock released', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 4 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 3 }] }));
    await waitForStatus(app, body.id, 'awaiting_merchant');
    expect(await stockOf(db, sku)).toEqual({ onHand: 4, reserved: 0, allocated: 3 });

    const res = await post(`/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'customer changed their mind' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'customer changed their mind', actor: 'platform:dev platform' },
    });
    const order = await waitForStatus(app, body.id, 'cancelled');
    // Nothing was handed over, so nothing was captured: the card's authorization is voided, not refunded.
    expect(order.payments[0]).toMatchObject({ status: 'voided', captured: 0, refunded: 0, voided: body.totals.total });
    expect(order.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['payment.authorized', 'payment.released']),
    );
    expect(order.lines[0].ledger).toMatchObject({ ordered: 3, refunded: 3 });
    expect(await stockOf(db, sku)).toEqual({ onHand: 4, reserved: 0, allocated: 0 });
    const books = await providerBooks(db, body.id);
    expect(books).toMatchObject({ captured: 0, refunded: 0, held: 0, voided: body.totals.total });
    // A second cancel is refused and changes nothing.
    expect((await post(`/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'again' })).statusCode).toBe(409);
  });

  test('after the courier was booked but before pick-up: booking cancelled, refunded, stock back', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { stock: { 'wh-guangzhou': 2 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    const booked = await waitForOrder(app, body.id, (o) => o.shipments[0]?.status === 'booked');
    const res = await post(`/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'ordered by mistake' });
    expect(res.statusCode).toBe(200);
    const order = await waitForStatus(app, body.id, 'cancelled');
    expect(order.shipments[0].status).toBe('cancelled');
    expect(order.payments[0]).toMatchObject({ status: 'voided', captured: 0, voided: body.totals.total });
    expect(await stockOf(db, sku)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
    recordHistory(`order-${body.id}`, 'order-card-voided-after-booking');
    const courierBooks = await db.simulatorRecord.findMany({
      where: { orderId: body.id, kind: { in: ['booking', 'booking_cancel'] } },
    });
    expect(courierBooks.map((r) => r.kind).sort()).toEqual(['booking', 'booking_cancel']);
    // The courier's late pick-up event cannot revive a cancelled shipment.
    await postTracking(app, booked.shipments[0].courier, {
      trackingNumber: booked.shipments[0].trackingNumber,
      type: 'picked_up',
    });
    expect((await waitForStatus(app, body.id, 'cancelled')).shipments[0].status).toBe('cancelled');
  });

  test('once a shipment is handed to the courier the platform can no longer cancel', async () => {
    const { app } = stack;
    const { body } = await submitOrder(app, orderBody());
    const order = await waitForOrder(app, body.id, (o) => o.shipments[0]?.trackingNumber);
    await postTracking(app, order.shipments[0].courier, {
      trackingNumber: order.shipments[0].trackingNumber,
      type: 'picked_up',
    });
    await waitForStatus(app, body.id, 'shipped');
    const res = await post(`/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'too late' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect((await waitForStatus(app, body.id, 'shipped')).payments[0].refunded).toBe(0);
  });
});

describe('merchant acceptance', () => {
  test('the merchant accepts: the order moves to fulfilment', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 1 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    const waiting = await waitForStatus(app, body.id, 'awaiting_merchant');
    expect(waiting.pendingDecision).toMatchObject({ awaiting: 'merchant_decision', actor: 'merchant' });
    // Another merchant cannot see or decide it.
    expect(
      (await post(`/v1/orders/${body.id}/merchant-decision`, KEYS.merchant, { decision: 'accept' })).statusCode,
    ).toBe(404);
    const res = await post(`/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, { decision: 'accept' });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('fulfilling');
  });

  test('the merchant rejects: refund and stock released', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 1 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    await waitForStatus(app, body.id, 'awaiting_merchant');
    expect(
      (await post(`/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, { decision: 'reject' })).statusCode,
    ).toBe(400);
    const res = await post(`/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, {
      decision: 'reject',
      reason: 'cannot ship to this address',
    });
    expect(res.statusCode).toBe(200);
    const order = await waitForStatus(app, body.id, 'rejected');
    expect(order.rejection.reason).toMatch(/cannot ship to this address/);
    expect(order.payments[0]).toMatchObject({ status: 'voided', captured: 0, voided: body.totals.total });
    expect(await stockOf(db, sku)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
  });

  test('no answer within the SLA flags the order for support and cancels it with a refund', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 1 } });
    const { body } = await submitOrder(
      app,
      orderBody({ lines: [{ sku, quantity: 1 }], policy: { merchantSlaSeconds: 1 } }),
    );
    const order = await waitForStatus(app, body.id, 'cancelled');
    expect(order.cancellation.reason).toMatch(/SLA/);
    expect(order.payments[0]).toMatchObject({ status: 'voided', captured: 0, voided: body.totals.total });
    expect(order.flags).toEqual([
      expect.objectContaining({ kind: 'merchant_sla_expired', detail: expect.objectContaining({ action: 'cancel' }) }),
    ]);
    expect((await db.order.findUniqueOrThrow({ where: { id: body.id } })).flags).toEqual([
      expect.objectContaining({ kind: 'merchant_sla_expired' }),
    ]);
  });
});

describe('sign-off', () => {
  test('delivered orders complete automatically when the receipt window ends', async () => {
    const { app } = stack;
    const { body } = await submitOrder(app, orderBody({ policy: { autoConfirmSeconds: 2 } }));
    await deliverAll(app, body.id);
    // The live status leads the projected timeline by one write: await the entry itself.
    const done = await waitForOrder(app, body.id, (o) => o.timeline.at(-1)?.type === 'receipt.auto_confirmed');
    expect(done.status).toBe('completed');
    expect(done.timeline.at(-1).actor).toBe('system');
  });

  test('the receipt window can be extended once', async () => {
    const { app } = stack;
    const { body } = await submitOrder(
      app,
      orderBody({ policy: { autoConfirmSeconds: 3600, receiptExtensionSeconds: 3600 } }),
    );
    const delivered = await deliverAll(app, body.id);
    const first = await post(`/v1/orders/${body.id}/extend-receipt`, KEYS.platform);
    expect(first.statusCode).toBe(200);
    expect(Date.parse(first.json().pendingDecision.until) - Date.parse(delivered.pendingDecision.until)).toBe(3600_000);
    expect((await post(`/v1/orders/${body.id}/extend-receipt`, KEYS.platform)).statusCode).toBe(409);
    expect((await post(`/v1/orders/${body.id}/confirm-receipt`, KEYS.platform)).json().status).toBe('completed');
  });

  test('confirming receipt before delivery is refused', async () => {
    const { app } = stack;
    const { body } = await submitOrder(app, orderBody());
    await waitForStatus(app, body.id, 'fulfilling');
    expect((await post(`/v1/orders/${body.id}/confirm-receipt`, KEYS.platform)).statusCode).toBe(409);
  });
});

test('cash on delivery: no payment up front, the courier reports the cash collected', async () => {
  const { app, db } = stack;
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'cod', card: undefined, lines: [{ sku: 'SKU-TEA-001', quantity: 1 }] }),
  );
  const fulfilling = await waitForStatus(app, body.id, 'fulfilling');
  expect(fulfilling.payments).toEqual([]);
  expect(fulfilling.timeline.map((e: any) => e.type)).toContain('risk.approved');
  await deliverAll(app, body.id, () => ({ codCollected: { amount: body.totals.total, currency: 'CNY' } }));
  const delivered = await waitForOrder(app, body.id, (o) => o.payments.length === 1);
  expect(delivered.payments[0]).toMatchObject({ method: 'cod', status: 'captured', captured: body.totals.total });
  const row = await db.payment.findFirstOrThrow({ where: { orderId: body.id } });
  expect(row.capturedAmount).toBe(body.totals.total);
});
