// After-sales (docs/after-sales.md) end to end through the HTTP API on the real stack: returns, exchanges,
// repairs and compensation, with the merchant's decision and inspection, return tracking through the
// logistics webhooks, and the order's ledger, payments, points and timeline.
import { providerBooks, stockOf } from '../helpers/catalog';
import { afterSalesHelpers, WINDOWS } from '../helpers/after-sales';
import { recordHistory } from '../helpers/fixtures';
import { KEYS, orderBody, postTracking, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { eventually, expectOk, expectProblem, send } from '../api/api-helpers';

const stack = useStack();

const { request, waitForRequestStatus, inspect, deliveredOrder, shipBack, deliverOutbound, timelineOf } =
  afterSalesHelpers(stack);
const decide = (id: string, payload: Record<string, unknown>, key: string = KEYS.merchant) =>
  send(stack.app, 'POST', `/v1/after-sales/${id}/decision`, key, payload);

describe('returns', () => {
  test('a return end to end: merchant approval, return parcel tracked by webhooks, inspection, refund, stock back, ledger and timeline', async () => {
    const { app, db } = stack;
    const { sku, orderId, total } = await deliveredOrder({ quantity: 2, stock: 5 });
    expect(await stockOf(db, sku)).toMatchObject({ onHand: 3 });

    const created = await request(orderId, {
      type: 'return',
      lines: [{ sku, quantity: 1 }],
      reason: 'defective',
      description: 'the lid is cracked',
      evidenceUrls: ['https://img.example.com/1.jpg'],
    });
    const r = expectOk(created, 201);
    expect(created.headers.location).toBe(`/v1/after-sales/${r.id}`);
    expect(r).toMatchObject({
      orderId,
      type: 'return',
      status: 'awaiting_decision',
      lines: [{ sku, quantity: 1, unitPrice: 10000 }],
      pendingDecision: { awaiting: 'merchant_decision', actor: 'merchant' },
    });
    // The order lists it; another merchant cannot see or decide it.
    expect((await waitForOrder(app, orderId, (o) => o.afterSales.length === 1)).afterSales[0]).toMatchObject({
      requestId: r.id,
      type: 'return',
      status: 'awaiting_decision',
    });
    expectProblem(await send(app, 'GET', `/v1/after-sales/${r.id}`, KEYS.manualMerchant), 404, '/problems/not-found');
    expectProblem(await decide(r.id, { decision: 'approve' }, KEYS.manualMerchant), 404, '/problems/not-found');
    // Inspection before the goods are back is refused and changes nothing.
    expectProblem(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }), 409, '/problems/not-allowed-in-state');

    const approved = expectOk(await decide(r.id, { decision: 'approve' }));
    expect(approved).toMatchObject({
      status: 'awaiting_return',
      decision: { decision: 'approve', actor: 'merchant:dev merchant m-demo' },
      pendingDecision: { awaiting: 'return_shipment', actor: 'customer' },
    });
    expectProblem(
      await decide(r.id, { decision: 'reject', reason: 'changed my mind' }),
      409,
      '/problems/not-allowed-in-state',
    );

    await shipBack(r.id);
    const inspected = expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
    expect(inspected.inspection).toMatchObject({ actor: 'merchant:dev merchant m-demo' });
    const done = await waitForRequestStatus(r.id, 'completed');
    expect(done.resolution).toMatchObject({
      outcome: 'refunded',
      refunded: 10000,
      refunds: [{ amount: 10000, method: 'card' }],
    });
    expect(done.shipments[0].tracking.map((e: any) => e.type)).toEqual(['picked_up', 'in_transit', 'delivered']);

    // The resellable unit is back on hand; the order's ledger and payment show the return.
    expect(await stockOf(db, sku)).toMatchObject({ onHand: 4 });
    const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.status).toBe('delivered'); // after-sales runs beside the order; it does not reopen it
    expect(order.lines[0].ledger).toMatchObject({ ordered: 2, delivered: 2, returned: 1, refunded: 1 });
    expect(order.payments[0]).toMatchObject({ captured: total, refunded: 10000 });
    expect(order.afterSales[0]).toMatchObject({ status: 'completed', refunded: 10000, reservedAmount: 0 });
    const books = await providerBooks(db, orderId);
    expect(books.refunded).toBe(10000);
    const steps = (await timelineOf(orderId))
      .filter((e) => e.type.startsWith('after_sales.'))
      .map((e) => [e.type, e.actor]);
    expect(steps).toEqual([
      ['after_sales.requested', 'platform:dev platform'],
      ['after_sales.approved', 'merchant:dev merchant m-demo'],
      ['after_sales.return_picked_up', 'courier:sf-express'],
      ['after_sales.return_received', 'courier:sf-express'],
      ['after_sales.inspected', 'merchant:dev merchant m-demo'],
      ['after_sales.refunded', 'system'],
    ]);

    // Completion credits points on what was finally paid: (20000 − 10000) / 100.
    expectOk(await send(app, 'POST', `/v1/orders/${orderId}/confirm-receipt`, KEYS.platform));
    const completed = await waitForOrder(app, orderId, (o) => o.points?.credited !== undefined);
    expect(completed).toMatchObject({ status: 'completed', points: { credited: 100, reversed: 0 } });
    // Customer and merchant were told through the outbox, once per step.
    const outbox = await db.notification.findMany({ where: { orderId, kind: { startsWith: 'after_sales.' } } });
    expect(
      outbox
        .filter((n) => n.recipientType === 'merchant')
        .map((n) => n.kind)
        .sort(),
    ).toEqual(['after_sales.awaiting_decision', 'after_sales.awaiting_inspection']);
    expect(outbox.filter((n) => n.recipientType === 'customer').map((n) => n.kind)).toEqual(
      expect.arrayContaining(['after_sales.approved', 'after_sales.refunded']),
    );
    recordHistory(`after-sales-${r.id}`, 'after-sales-return-refunded');
    recordHistory(`order-${orderId}`, 'order-completed-with-return');
  });

  test('the after-sales routes are in the OpenAPI document', async () => {
    const doc = expectOk(await send(stack.app, 'GET', '/openapi.json', undefined));
    for (const path of [
      '/v1/orders/{id}/after-sales',
      '/v1/after-sales/{id}',
      '/v1/after-sales/{id}/decision',
      '/v1/after-sales/{id}/inspection',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
    expect(
      doc.paths['/v1/orders/{id}/after-sales'].post.requestBody.content['application/json'].schema.properties.type.enum,
    ).toEqual(['return', 'exchange', 'repair', 'compensation']);
  });

  test('bad requests are refused naming the field and change nothing', async () => {
    const { app } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 2 });
    expectProblem(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 3 }], reason: 'defective' }),
      422,
      '/problems/unprocessable',
      ['lines.0.quantity'],
    );
    expectProblem(
      await request(orderId, { type: 'return', lines: [{ sku: 'NOPE', quantity: 1 }], reason: 'defective' }),
      422,
      '/problems/unprocessable',
      ['lines.0.sku'],
    );
    expectProblem(
      await request(orderId, { type: 'refund-please', lines: [{ sku, quantity: 1 }], reason: 'defective' }),
      400,
      '/problems/validation-error',
      ['type'],
    );
    expectProblem(
      await request(orderId, { type: 'return', lines: [], reason: 'defective' }),
      400,
      '/problems/validation-error',
      ['lines'],
    );
    expectProblem(
      await request(orderId, { type: 'compensation', reason: 'other' }),
      400,
      '/problems/validation-error',
      ['compensation'],
    );
    expectProblem(
      await request(orderId, {
        type: 'compensation',
        reason: 'other',
        compensation: { kind: 'refund', amount: 20001 },
      }),
      422,
      '/problems/unprocessable',
      ['compensation.amount'],
    );
    expectProblem(
      await request('ord_missing', { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' }),
      404,
      '/problems/not-found',
    );
    expectProblem(
      await send(app, 'POST', `/v1/orders/${orderId}/after-sales`, KEYS.merchant, {
        type: 'return',
        lines: [{ sku, quantity: 1 }],
        reason: 'defective',
      }),
      403,
      '/problems/forbidden',
    );
    const order = await waitForOrder(app, orderId, () => true);
    expect(order.afterSales).toEqual([]);
    expect(order.lines[0].ledger).toMatchObject({ returned: 0, refunded: 0 });

    // Before delivery there is nothing to return: 409.
    const pending = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }], policy: WINDOWS }));
    await waitForOrder(app, pending.body.id, (o) => o.shipments[0]?.trackingNumber);
    expectProblem(
      await request(pending.body.id, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' }),
      409,
      '/problems/not-allowed-in-state',
    );
  });

  test('requests are listed from the read model: a merchant sees its own, filtered by status', async () => {
    const { sku, orderId } = await deliveredOrder({ quantity: 2 });
    const ids = [];
    for (let i = 0; i < 2; i++)
      ids.push(
        expectOk(await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' }), 201)
          .id,
      );
    const list = (query: string, key: string = KEYS.merchant) =>
      send(stack.app, 'GET', `/v1/after-sales?${query}`, key);
    const first = await eventually(
      async () => expectOk(await list(`orderId=${orderId}&status=awaiting_decision&limit=1`)),
      (b) => b.items.length === 1 && b.items[0].pendingDecision && b.nextCursor,
      'the first page',
    );
    const second = expectOk(
      await list(`orderId=${orderId}&status=awaiting_decision&limit=1&cursor=${first.nextCursor}`),
    );
    expect([...first.items, ...second.items].map((r: any) => r.id).sort()).toEqual([...ids].sort());
    expect(first.items[0]).toMatchObject({
      orderId,
      type: 'return',
      status: 'awaiting_decision',
      pendingDecision: { awaiting: 'merchant_decision' },
    });
    expect(second.nextCursor).toBeNull();
    expect(expectOk(await list(`orderId=${orderId}`, KEYS.manualMerchant)).items).toEqual([]);
    expectProblem(await list('merchantId=m-demo', KEYS.manualMerchant), 403, '/problems/forbidden');
    expectProblem(await list('status=unknown'), 400, '/problems/validation-error', ['status']);
  });

  test('the merchant rejects: nothing moves and the units can be claimed again', async () => {
    const { sku, orderId } = await deliveredOrder({ quantity: 1 });
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'not_as_described' }),
      201,
    );
    expectProblem(await decide(r.id, { decision: 'reject' }), 400, '/problems/validation-error', ['reason']);
    const rejected = expectOk(await decide(r.id, { decision: 'reject', reason: 'the photos show normal wear' }));
    expect(rejected).toMatchObject({
      status: 'rejected',
      decision: { decision: 'reject', reason: 'the photos show normal wear' },
      shipments: [],
      resolution: null,
    });
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'rejected');
    expect(order.payments[0].refunded).toBe(0);
    expect((await timelineOf(orderId)).find((e) => e.type === 'after_sales.rejected')).toMatchObject({
      actor: 'merchant:dev merchant m-demo',
      detail: { reason: 'the photos show normal wear' },
    });
    // The unit is claimable again once the rejected request is closed.
    expectOk(await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' }), 201);
  });

  test('damaged goods: a partial refund, nothing back on the shelf', async () => {
    const { db } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 2, stock: 2 });
    const r = expectOk(await request(orderId, { type: 'return', lines: [{ sku, quantity: 2 }], reason: 'other' }), 201);
    expectOk(await decide(r.id, { decision: 'approve' }));
    await shipBack(r.id);
    expectProblem(
      await inspect(r.id, { lines: [{ sku, condition: 'damaged' }], refundAmount: 20001 }),
      422,
      '/problems/unprocessable',
      ['refundAmount'],
    );
    expectProblem(await inspect(r.id, { lines: [{ sku: 'OTHER', condition: 'ok' }] }), 422, '/problems/unprocessable', [
      'lines.0.sku',
    ]);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'damaged', note: 'water damage' }], refundAmount: 3000 }));
    const done = await waitForRequestStatus(r.id, 'completed');
    expect(done.lines[0]).toMatchObject({ condition: 'damaged', note: 'water damage' });
    expect(done.resolution).toMatchObject({ outcome: 'refunded', refunded: 3000 });
    expect(await stockOf(db, sku)).toMatchObject({ onHand: 0 });
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.lines[0].ledger).toMatchObject({ returned: 2, refunded: 2 });
    expect(order.payments[0].refunded).toBe(3000);
  });

  test('the customer never ships: the request expires, the return booking is cancelled, the units are claimable again', async () => {
    const { db } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 1, price: 1000, policy: { returnShipSeconds: 2 } });
    // A no-reason return is approved by policy at once.
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    const waiting = await waitForRequestStatus(r.id, 'awaiting_return');
    expect(waiting.decision).toMatchObject({ decision: 'approve', actor: 'policy:auto-approve' });
    const expired = await waitForRequestStatus(r.id, 'expired');
    expect(expired.shipments[0].status).toBe('cancelled');
    const courierBooks = await db.simulatorRecord.findMany({
      where: { orderId, kind: { in: ['booking', 'booking_cancel'] } },
    });
    expect(courierBooks.filter((b) => b.kind === 'booking_cancel')).toHaveLength(1);
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'expired');
    expect(order.lines[0].ledger).toMatchObject({ returned: 0, refunded: 0 });
    expect(order.payments[0].refunded).toBe(0);
    expect((await timelineOf(orderId)).find((e) => e.type === 'after_sales.expired')?.actor).toBe('system');
    expectOk(await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }), 201);
  });

  test("windows decide in the customer's favour: merchant silence approves, uninspected goods count as ok", async () => {
    const { db } = stack;
    const { sku, orderId } = await deliveredOrder({
      quantity: 1,
      stock: 1,
      policy: { afterSalesDecisionSeconds: 1, inspectionSeconds: 1 },
    });
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' }),
      201,
    );
    const approved = await waitForRequestStatus(r.id, 'awaiting_return');
    expect(approved.decision).toMatchObject({
      decision: 'approve',
      actor: 'system',
      reason: expect.stringMatching(/SLA/),
    });
    await shipBack(r.id);
    const done = await waitForRequestStatus(r.id, 'completed');
    expect(done.inspection).toMatchObject({ actor: 'system' });
    expect(done.lines[0].condition).toBe('ok');
    expect(done.resolution).toMatchObject({ outcome: 'refunded', refunded: 10000 });
    expect(await stockOf(db, sku)).toMatchObject({ onHand: 1 });
  });

  test('a return parcel the courier brings back to the customer ends the request without a refund', async () => {
    const { sku, orderId } = await deliveredOrder({ quantity: 1, price: 1000 });
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    const parcel = (await waitForRequestStatus(r.id, 'awaiting_return')).shipments[0];
    for (const type of ['picked_up', 'returned_to_sender'] as const)
      expectOk(await postTracking(stack.app, parcel.courier, { trackingNumber: parcel.trackingNumber, type }));
    const ended = await waitForRequestStatus(r.id, 'cancelled');
    expect(ended.resolution).toBeNull();
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'cancelled');
    expect(order.lines[0].ledger).toMatchObject({ returned: 0, refunded: 0 });
    expect(order.payments[0].refunded).toBe(0);
  });

  test('cash on delivery: the refund is a recorded bank transfer', async () => {
    const { db } = stack;
    const { sku, orderId } = await deliveredOrder({
      quantity: 1,
      price: 1000,
      body: { paymentMethod: 'cod', card: undefined },
    });
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    await shipBack(r.id);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
    const done = await waitForRequestStatus(r.id, 'completed');
    expect(done.resolution).toMatchObject({ refunded: 1000, refunds: [{ method: 'cod', amount: 1000 }] });
    const refunds = await db.refund.findMany({ where: { orderId } });
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({
      amount: 1000,
      status: 'succeeded',
      providerRef: expect.stringMatching(/^bank-transfer-/),
    });
  });
});

describe('the return window', () => {
  test('requests after the window are refused with 409; the order closes once it ends', async () => {
    const { app, client } = stack;
    const { sku, orderId } = await deliveredOrder({
      quantity: 1,
      policy: { returnWindowSeconds: 2, autoConfirmSeconds: 1 },
    });
    await eventually(
      async () => (await client.workflow.getHandle(`order-${orderId}`).describe()).status.name,
      (s) => s === 'COMPLETED',
      'the order workflow closing after its return window',
    );
    const res = await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' });
    expect(expectProblem(res, 409, '/problems/not-allowed-in-state').detail).toMatch(/return window/);
    const order = await waitForOrder(app, orderId, () => true);
    expect(order).toMatchObject({ status: 'completed', afterSales: [], points: { credited: 100, reversed: 0 } });
  });
});

describe('concurrent requests', () => {
  test('two requests racing for the same units: only what was delivered can come back', async () => {
    const { app } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 2 });
    const answers = await Promise.all(
      [1, 2].map(() => request(orderId, { type: 'return', lines: [{ sku, quantity: 2 }], reason: 'defective' })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 422]);
    expectProblem(
      answers.find((a) => a.statusCode === 422)!,
      422,
      '/problems/unprocessable',
      ['lines.0.quantity'],
    );
    const order = await waitForOrder(app, orderId, (o) => o.afterSales.length === 1);
    expect(order.afterSales[0].lines).toEqual([{ lineNo: 1, sku, quantity: 2 }]);
  });

  test('compensations racing for the same money never refund more than was captured', async () => {
    const { app, db } = stack;
    const { orderId, total } = await deliveredOrder({ quantity: 2 });
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        request(orderId, { type: 'compensation', reason: 'other', compensation: { kind: 'refund', amount: 12000 } }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 422, 422]);
    const r = expectOk(
      answers.find((a) => a.statusCode === 201)!,
      201,
    );
    expectOk(await decide(r.id, { decision: 'approve' }));
    await waitForRequestStatus(r.id, 'completed');
    const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.payments[0]).toMatchObject({ captured: total, refunded: 12000 });
    expect((await providerBooks(db, orderId)).refunded).toBe(12000);
  });

  test('the refund decision is taken under a row lock: concurrent refunds stop at the capture', async () => {
    const { db, providers } = stack;
    const { createActivities } = await import('../../activities');
    const { orderId, total } = await deliveredOrder({ quantity: 2 });
    const activities = createActivities({ db, providers });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        activities.refundPayment({
          orderId,
          paymentId: `pay-${orderId}`,
          idempotencyKey: `${orderId}:race-${i}:1`,
          amount: 5000,
          reason: 'race',
        }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(total / 5000);
    const payment = await db.payment.findUniqueOrThrow({ where: { id: `pay-${orderId}` } });
    expect(payment.refundedAmount).toBe(total);
    expect((await providerBooks(db, orderId)).refunded).toBe(total);
  });
});

describe('exchanges, repairs and compensation', () => {
  test('an exchange: the goods come back, a replacement is allocated from stock and delivered', async () => {
    const { app, db } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 1, price: 1000, stock: 3 });
    // Worth less than the auto-approval amount: approved by policy.
    const r = expectOk(
      await request(orderId, { type: 'exchange', lines: [{ sku, quantity: 1 }], reason: 'wrong_item' }),
      201,
    );
    await shipBack(r.id);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
    const done = await deliverOutbound(r.id);
    expect(done.resolution).toMatchObject({ outcome: 'exchanged', refunded: 0 });
    expect(done.shipments.map((s: any) => [s.direction, s.status])).toEqual([
      ['return', 'delivered'],
      ['outbound', 'delivered'],
    ]);
    // 3 − 1 sold + 1 returned resellable − 1 replacement shipped.
    expect(await stockOf(db, sku)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
    const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.lines[0].ledger).toMatchObject({ delivered: 1, returned: 0, refunded: 0 });
    expect(order.payments[0].refunded).toBe(0);
    recordHistory(`after-sales-${r.id}`, 'after-sales-exchange-replaced');
  });

  test('a repair: the goods travel back and forth, tracked both ways, and nothing is restocked', async () => {
    const { db } = stack;
    const { sku, orderId } = await deliveredOrder({ quantity: 1, stock: 2 });
    const r = expectOk(
      await request(orderId, {
        type: 'repair',
        lines: [{ sku, quantity: 1 }],
        reason: 'defective',
        description: 'screen flickers',
      }),
      201,
    );
    expectOk(await decide(r.id, { decision: 'approve' }));
    await shipBack(r.id);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'damaged', note: 'display cable loose' }] }));
    const done = await deliverOutbound(r.id);
    expect(done.resolution).toMatchObject({ outcome: 'repaired', refunded: 0 });
    expect(done.shipments.map((s: any) => [s.direction, s.tracking.map((e: any) => e.type)])).toEqual([
      ['return', ['picked_up', 'in_transit', 'delivered']],
      ['outbound', ['picked_up', 'delivered']],
    ]);
    expect(await stockOf(db, sku)).toMatchObject({ onHand: 1 });
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.lines[0].ledger).toMatchObject({ delivered: 1, returned: 0, refunded: 0 });
  });

  test('compensation by coupon, by points and by partial refund; points earned on refunded money are reversed', async () => {
    const { app, db } = stack;
    const { orderId, order } = await deliveredOrder({ quantity: 2 });
    // Completed first: points are credited on the 20000 paid.
    const confirmed = await send(app, 'POST', `/v1/orders/${orderId}/confirm-receipt`, KEYS.platform);
    expect(confirmed.json()).toMatchObject({ status: 'completed' });
    await waitForOrder(app, orderId, (o) => o.points?.credited === 200);

    const coupon = expectOk(
      await request(orderId, {
        type: 'compensation',
        reason: 'damaged_in_transit',
        compensation: { kind: 'coupon', amount: 2000 },
      }),
      201,
    );
    const points = expectOk(
      await request(orderId, { type: 'compensation', reason: 'other', compensation: { kind: 'points', amount: 300 } }),
      201,
    );
    const refund = expectOk(
      await request(orderId, { type: 'compensation', reason: 'other', compensation: { kind: 'refund', amount: 5550 } }),
      201,
    );
    // Coupon and points are within the auto-approval amount; the refund needs the merchant.
    expectOk(await decide(refund.id, { decision: 'approve' }));
    const [c, p, f] = await Promise.all([coupon, points, refund].map((x) => waitForRequestStatus(x.id, 'completed')));
    expect(c.resolution).toMatchObject({
      outcome: 'compensated',
      coupon: { code: expect.stringMatching(/^CP-/), amount: 2000 },
    });
    expect(await db.coupon.findUniqueOrThrow({ where: { code: c.resolution.coupon.code } })).toMatchObject({
      customerId: order.customerId,
      amount: 2000,
      status: 'issued',
      afterSalesId: coupon.id,
    });
    expect(p.resolution).toMatchObject({ outcome: 'compensated', points: 300 });
    expect(f.resolution).toMatchObject({ outcome: 'compensated', refunded: 5550 });
    expect(f.shipments).toEqual([]);

    // 200 credited; after refunding 55.50 the customer paid 144.50 → 144 points: 56 reversed.
    const after = await waitForOrder(
      app,
      orderId,
      (o) => o.afterSales.every((r: any) => r.status === 'completed') && o.points?.reversed > 0,
    );
    expect(after).toMatchObject({ status: 'completed', points: { credited: 200, reversed: 56 } });
    expect(after.payments[0].refunded).toBe(5550);
    const entries = await db.pointsEntry.findMany({
      where: { customerId: order.customerId },
      orderBy: { createdAt: 'asc' },
    });
    expect(entries.map((e) => e.delta).sort((a, b) => a - b)).toEqual([-56, 200, 300]);
    recordHistory(`after-sales-${refund.id}`, 'after-sales-compensation-refund');
    recordHistory(`order-${orderId}`, 'order-completed-with-compensations');
  });

  test('the same Idempotency-Key answers with the same request', async () => {
    const { sku, orderId } = await deliveredOrder({ quantity: 2 });
    const body = { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'defective' };
    const first = expectOk(await request(orderId, body, { 'idempotency-key': 'as-key-1' }), 201);
    const again = expectOk(await request(orderId, body, { 'idempotency-key': 'as-key-1' }), 200);
    expect(again.id).toBe(first.id);
    expectProblem(
      await request(orderId, { ...body, lines: [{ sku, quantity: 2 }] }, { 'idempotency-key': 'as-key-1' }),
      409,
      '/problems/idempotency-key-reused',
    );
    expect((await waitForOrder(stack.app, orderId, () => true)).afterSales).toHaveLength(1);
  });
});
