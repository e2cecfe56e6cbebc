// docs/fulfilment.md: the merchant hears of new orders, ships by hand when it does not auto-ship;
// couriers fail and fall back; failed deliveries end with the parcel returned and refunded.
import { randomUUID } from 'node:crypto';
import { createMerchant, createSku, stockOf } from '../helpers/catalog';
import { recordHistory, recordParcelHistory } from '../helpers/fixtures';
import {
  auth,
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

const stack = useStack({ dispatchers: ['notifications'] });

const post = (path: string, key: string, payload?: object) =>
  stack.app.inject({ method: 'POST', url: path, headers: keyed(key), ...(payload ? { payload } : {}) });

describe('merchant', () => {
  test('a new-order notice goes out through the outbox, exactly once', async () => {
    const { app, db } = stack;
    const { body } = await submitOrder(app, orderBody());
    await waitForStatus(app, body.id, 'fulfilling');
    const id = `${body.id}:merchant.new_order`;
    const sent = async () => db.notification.findUnique({ where: { id } });
    for (let i = 0; (await sent())?.status !== 'sent' && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sent()).toMatchObject({
      recipientType: 'merchant',
      recipientId: 'm-demo',
      channel: 'in_app',
      kind: 'order.new',
      status: 'sent',
      attempts: 1,
    });
    // The gateway's own books: one message for the key, however many dispatchers run.
    expect(await db.simulatorRecord.count({ where: { provider: 'notify-in_app', idempotencyKey: id } })).toBe(1);
  });

  test('an SLA passed under the "flag" policy: flagged for support, still waiting for the merchant', async () => {
    const { app, db } = stack;
    const merchantId = await createMerchant(db, { autoAccept: false, merchantSlaAction: 'flag' });
    const sku = await createSku(db, { merchantId, stock: { 'wh-shanghai': 1 } });
    const { body } = await submitOrder(
      app,
      orderBody({ lines: [{ sku, quantity: 1 }], policy: { merchantSlaSeconds: 1 } }),
    );
    const flagged = await waitForOrder(app, body.id, (o) => o.flags.length > 0);
    expect(flagged.status).toBe('awaiting_merchant');
    expect(flagged.flags).toEqual([
      expect.objectContaining({ kind: 'merchant_sla_expired', detail: expect.objectContaining({ action: 'flag' }) }),
    ]);
    // Support finds it among the flagged orders (the list reads the read model, which follows the live state).
    const flaggedList = () =>
      stack.app.inject({
        method: 'GET',
        url: `/v1/orders?flagged=true&customerId=${body.customerId}`,
        headers: auth(KEYS.support),
      });
    let listed = await flaggedList();
    for (
      const deadline = Date.now() + 20_000;
      listed.json().items.length === 0 && Date.now() < deadline;
      listed = await flaggedList()
    )
      await new Promise((r) => setTimeout(r, 50));
    expect(listed.json().items).toEqual([
      expect.objectContaining({ id: body.id, flags: [expect.objectContaining({ kind: 'merchant_sla_expired' })] }),
    ]);
    const unflagged = await submitOrder(app, orderBody({ customer: { ...orderBody().customer, id: body.customerId } }));
    await waitForStatus(app, unflagged.body.id, 'fulfilling');
    const all = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders?customerId=${body.customerId}`,
      headers: auth(KEYS.support),
    });
    expect(all.json().items).toHaveLength(2);
    // The customer may still cancel the order that waits.
    expect(
      (await post(`/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'the shop never answered' })).statusCode,
    ).toBe(200);
    expect((await waitForStatus(app, body.id, 'cancelled')).payments[0]).toMatchObject({
      status: 'voided',
      voided: body.totals.total,
    });
  });

  test('a merchant that ships by hand books the courier of its choice per warehouse', async () => {
    const { app, db } = stack;
    // m-manual accepts by hand and ships by hand; the order splits over two warehouses.
    const sku = await createSku(db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 1, 'wh-beijing': 1 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    await waitForStatus(app, body.id, 'awaiting_merchant');
    expect(
      (await post(`/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, { decision: 'accept' })).statusCode,
    ).toBe(200);
    const waiting = await waitForOrder(app, body.id, (o) => o.pendingDecision?.awaiting === 'shipment');
    expect(waiting.unshipped.map((u: { warehouseId: string }) => u.warehouseId).sort()).toEqual([
      'wh-beijing',
      'wh-shanghai',
    ]);
    expect(waiting.shipments).toEqual([]);

    // Bad requests change nothing.
    const unknownCourier = await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, {
      courier: 'pigeon-post',
    });
    expect(unknownCourier.statusCode).toBe(422);
    expect(unknownCourier.json().errors).toEqual([expect.objectContaining({ field: 'courier' })]);
    expect(
      (
        await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, {
          courier: 'yto',
          warehouseId: 'wh-guangzhou',
        })
      ).json().errors,
    ).toEqual([expect.objectContaining({ field: 'warehouseId' })]);
    expect((await post(`/v1/orders/${body.id}/shipments`, KEYS.merchant, { courier: 'yto' })).statusCode).toBe(404);
    expect((await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, {})).statusCode).toBe(400);

    const first = await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, {
      courier: 'yto',
      warehouseId: 'wh-beijing',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json().unshipped).toEqual([expect.objectContaining({ warehouseId: 'wh-shanghai' })]);
    expect(
      (await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, { courier: 'sf-express' })).statusCode,
    ).toBe(201);
    const booked = await waitForOrder(
      app,
      body.id,
      (o) => o.shipments.length === 2 && o.shipments.every((s: { trackingNumber?: string }) => s.trackingNumber),
    );
    expect(
      booked.shipments.map((s: { warehouseId: string; courier: string }) => `${s.warehouseId}:${s.courier}`).sort(),
    ).toEqual(['wh-beijing:yto', 'wh-shanghai:sf-express']);
    expect(booked.pendingDecision).toBeNull();
    // Nothing is left to ship.
    expect((await post(`/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, { courier: 'yto' })).statusCode).toBe(
      409,
    );
    await deliverAll(app, body.id);
    recordHistory(`order-${body.id}`, 'order-manual-shipment-delivered');
  });
});

describe('couriers', () => {
  test('a courier whose booking keeps failing gives way to the next one', async () => {
    const { app, db, providers } = stack;
    providers.couriers['sf-express'].outage = true;
    try {
      const { body } = await submitOrder(app, orderBody());
      const order = await waitForOrder(app, body.id, (o) => o.shipments[0]?.trackingNumber, 30_000);
      expect(order.shipments[0]).toMatchObject({
        courier: 'yto',
        status: 'booked',
        trackingNumber: expect.stringMatching(/^YT\d{12}$/),
      });
      const bookings = await db.simulatorRecord.findMany({ where: { orderId: body.id, kind: 'booking' } });
      expect(bookings.map((b) => b.provider)).toEqual(['yto']);
      recordParcelHistory(body.id, 1, 'courier-fallback');
    } finally {
      providers.couriers['sf-express'].outage = false;
    }
  }, 40_000);

  test('three failed deliveries: the parcel goes back, stock returns on hand, the lines are refunded', async () => {
    const { app, db } = stack;
    const sku = await createSku(db, { price: 3000, stock: { 'wh-shanghai': 2 } });
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    const order = await waitForOrder(app, body.id, (o) => o.shipments[0]?.trackingNumber);
    const { courier, trackingNumber } = order.shipments[0];
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString(); // the scans of the last minute
    await postTracking(app, courier, { trackingNumber, type: 'picked_up', occurredAt: at(0) });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await postTracking(app, courier, { trackingNumber, type: 'out_for_delivery', occurredAt: at(attempt * 10) });
      await postTracking(app, courier, { trackingNumber, type: 'delivery_failed', occurredAt: at(attempt * 10 + 5) });
    }
    // The courier answers the return request with its own signed `returned_to_sender` event.
    const done = await waitForStatus(app, body.id, 'cancelled');
    expect(done.shipments[0]).toMatchObject({ status: 'returned_to_sender', deliveryAttempts: 3 });
    expect(done.shipments[0].tracking.map((t: { type: string }) => t.type)).toEqual([
      'picked_up',
      'out_for_delivery',
      'delivery_failed',
      'out_for_delivery',
      'delivery_failed',
      'out_for_delivery',
      'delivery_failed',
      'returned_to_sender',
    ]);
    expect(done.lines[0].ledger).toMatchObject({ shipped: 0, delivered: 0, refunded: 2 });
    expect(done.payments[0]).toMatchObject({ captured: 6000, refunded: 6000 });
    expect(await stockOf(db, sku)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
    expect(await db.simulatorRecord.count({ where: { orderId: body.id, kind: 'return_request' } })).toBe(1);
    recordParcelHistory(body.id, 1, 'returned-after-failed-attempts');
  });

  test('a split order: one parcel delivered, the other returned — only the returned lines are refunded', async () => {
    const { app, db } = stack;
    const near = await createSku(db, { price: 1000, stock: { 'wh-shanghai': 1 } });
    const far = await createSku(db, { price: 2500, stock: { 'wh-guangzhou': 1 } });
    const { body } = await submitOrder(
      app,
      orderBody({
        lines: [
          { sku: near, quantity: 1 },
          { sku: far, quantity: 1 },
        ],
        policy: { autoConfirmSeconds: 1 },
      }),
    );
    const order = await waitForOrder(
      app,
      body.id,
      (o) => o.shipments.length === 2 && o.shipments.every((s: { trackingNumber?: string }) => s.trackingNumber),
    );
    const [a, b] = order.shipments;
    await postTracking(app, a.courier, { trackingNumber: a.trackingNumber, type: 'picked_up' });
    await postTracking(app, a.courier, { trackingNumber: a.trackingNumber, type: 'delivered', signedBy: '张三' });
    await postTracking(app, b.courier, { trackingNumber: b.trackingNumber, type: 'picked_up' });
    await postTracking(app, b.courier, { trackingNumber: b.trackingNumber, type: 'returned_to_sender' });
    const done = await waitForStatus(app, body.id, 'completed');
    const value = (s: { lines: Array<{ sku: string }> }) => (s.lines[0].sku === near ? 1000 : 2500);
    expect(done.payments[0]).toMatchObject({ captured: 3500, refunded: value(b) });
    expect(await stockOf(db, b.lines[0].sku)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
  });

  test('cash on delivery: a collected amount that differs from the parcel value flags the order', async () => {
    const { app } = stack;
    const { body } = await submitOrder(app, orderBody({ paymentMethod: 'cod', card: undefined }));
    const delivered = await deliverAll(app, body.id, () => ({
      codCollected: { amount: body.totals.total - 100, currency: 'CNY' },
      eventId: randomUUID(),
    }));
    expect(delivered.flags).toEqual([
      expect.objectContaining({
        kind: 'cod_mismatch',
        detail: expect.objectContaining({ expected: body.totals.total, collected: body.totals.total - 100 }),
      }),
    ]);
  });
});
