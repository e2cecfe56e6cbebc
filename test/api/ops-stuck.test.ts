import { createSku } from '../helpers/catalog';
import {
  deliverAll,
  KEYS,
  orderBody,
  postTracking,
  submitOrder,
  useStack,
  waitForOrder,
  waitForStatus,
} from '../helpers/stack';
import { eventually, expectOk, expectProblem, send, uid } from './api-helpers';

// Short thresholds so planted cases become stuck within seconds.
const stack = useStack({
  env: {
    STUCK_ACTIVITY_ATTEMPTS: '3',
    STUCK_WAIT_GRACE_SECONDS: '0',
    STUCK_TRACKING_SILENCE_SECONDS: '2',
    STUCK_QUIET_SECONDS: '0',
  },
});

/** The stuck entry of one order (each planted order has its own customer, so the scan stays small). */
async function stuckEntry(customerId: string): Promise<any> {
  const body = expectOk(
    await send(stack.app, 'GET', `/v1/ops/orders?stuck=true&customerId=${customerId}`, KEYS.support),
  );
  return body.items[0];
}
const waitStuck = (customerId: string, kind: string) =>
  eventually(
    () => stuckEntry(customerId),
    (e) => Boolean(e?.reasons.some((r: any) => r.kind === kind)),
    `${kind} detected for ${customerId}`,
    40_000,
  );

async function plant(overrides: Record<string, unknown> = {}) {
  const customerId = uid('cust-stuck');
  const base = orderBody();
  const { res, body } = await submitOrder(
    stack.app,
    orderBody({ customer: { ...(base.customer as object), id: customerId }, ...overrides }),
  );
  expect(res.statusCode).toBe(201);
  return { id: body.id as string, customerId };
}

describe('stuck orders', () => {
  test('a courier booking retrying past the threshold: step, attempts, last error and since when', async () => {
    const couriers = Object.values(stack.providers.couriers);
    couriers.forEach((c) => (c.outage = true));
    try {
      const { id, customerId } = await plant();
      // sf-express gives way to yto after a few attempts (courier fallback); yto keeps retrying.
      const entry = await eventually(
        () => stuckEntry(customerId),
        (e) =>
          Boolean(
            e?.reasons.some((r: any) => r.kind === 'activity_retrying' && /yto is unavailable/.test(r.lastFailure)),
          ),
        'the last courier retrying',
        40_000,
      );
      const reason = entry.reasons.find((r: any) => r.kind === 'activity_retrying');
      expect(entry).toMatchObject({ orderId: id, status: 'fulfilling' });
      expect(reason).toMatchObject({
        // A version 3 order books its parcel itself (docs/decisions/100): the retrying step is the order's.
        workflowId: `order-${id}`,
        activity: 'bookShipment',
        lastFailure: expect.stringContaining('unavailable'),
      });
      expect(reason.attempt).toBeGreaterThanOrEqual(3);
      expect(Date.parse(reason.since)).toBeGreaterThanOrEqual(Date.parse(entry.createdAt));
      expect(entry.since).toBe(reason.since);
      // The same list through GET /v1/orders?stuck=true (docs/support.md).
      const listed = expectOk(
        await send(stack.app, 'GET', `/v1/orders?stuck=true&customerId=${customerId}`, KEYS.support),
      );
      expect(listed.items).toEqual([
        expect.objectContaining({
          id,
          stuck: expect.objectContaining({
            reasons: expect.arrayContaining([expect.objectContaining({ kind: 'activity_retrying' })]),
          }),
        }),
      ]);

      // The timeline shows the step retrying with its error.
      const timeline = expectOk(await send(stack.app, 'GET', `/v1/ops/orders/${id}/timeline`, KEYS.support));
      expect(timeline.entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            source: 'workflow',
            workflowId: `order-${id}`,
            kind: 'activity.retrying',
            error: expect.stringContaining('unavailable'),
          }),
        ]),
      );

      // The courier is back; support retries now instead of waiting out the backoff.
      couriers.forEach((c) => (c.outage = false));
      const retried = expectOk(
        await send(stack.app, 'POST', `/v1/ops/orders/${id}/retry`, KEYS.support, { reason: 'courier recovered' }),
      );
      expect(retried.retried).toEqual([
        expect.objectContaining({ workflowId: `order-${id}`, activity: 'bookShipment' }),
      ]);
      await waitForOrder(stack.app, id, (o) => o.shipments[0]?.trackingNumber);
      expect(await stuckEntry(customerId)).toBeUndefined();
      // Temporal reset the attempt count: the booking that succeeded was attempt 1 again.
      const { events } = await stack.client.workflow.getHandle(`order-${id}`).fetchHistory();
      const booking = (events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'bookShipment',
      );
      const completed = (events ?? []).find((e) =>
        booking.some((b) => String(b.eventId) === String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
      )!.activityTaskCompletedEventAttributes!;
      const started = (events ?? []).find((e) => String(e.eventId) === String(completed.startedEventId))!;
      expect(started.activityTaskStartedEventAttributes!.attempt).toBe(1);
      const audit = expectOk(await send(stack.app, 'GET', `/v1/ops/audit?orderId=${id}`, KEYS.support));
      expect(audit.items).toEqual([
        expect.objectContaining({
          operation: 'order.retry',
          outcome: 'succeeded',
          reason: 'courier recovered',
          actor: { name: 'dev support', role: 'support' },
          details: { retried: [expect.objectContaining({ activity: 'bookShipment' })] },
        }),
      ]);
      expect(audit.items[0].details.retried[0].attempt).toBeGreaterThanOrEqual(3);
    } finally {
      couriers.forEach((c) => (c.outage = false));
    }
  });

  test('a shipment without tracking events for too long', async () => {
    const { id, customerId } = await plant();
    const order = await waitForOrder(stack.app, id, (o) => o.shipments[0]?.trackingNumber);
    const s = order.shipments[0];
    expect(
      (await postTracking(stack.app, s.courier, { trackingNumber: s.trackingNumber, type: 'picked_up' })).statusCode,
    ).toBe(200);
    const entry = await eventually(
      () => stuckEntry(customerId),
      (e) => Boolean(e?.reasons.some((r: any) => r.kind === 'tracking_silent' && r.shipmentStatus === 'picked_up')),
      'silent shipment detected',
    );
    const reason = entry.reasons.find((r: any) => r.kind === 'tracking_silent');
    expect(reason).toMatchObject({
      shipmentId: `shipment-${id}-1`,
      trackingNumber: s.trackingNumber,
      lastEventAt: expect.any(String),
    });
    expect(Date.parse(reason.since) - Date.parse(reason.lastEventAt)).toBe(2000);
  });

  test('a failed (terminated) workflow', async () => {
    const { id, customerId } = await plant({ paymentMethod: 'wechat_pay', card: undefined });
    await waitForStatus(stack.app, id, 'awaiting_payment');
    await stack.client.workflow.getHandle(`order-${id}`).terminate('planted by the stuck test');
    const entry = await waitStuck(customerId, 'workflow_failed');
    expect(entry.reasons.find((r: any) => r.kind === 'workflow_failed')).toMatchObject({
      workflowId: `order-${id}`,
      status: 'terminated',
      failure: expect.stringContaining('planted by the stuck test'),
    });
  });

  test('an accepted order whose workflow never started', async () => {
    const customerId = uid('cust-stuck');
    const id = uid('ord_never');
    await stack.db.customer.create({ data: { id: customerId, name: '王五', phone: '+86 139 0000 0000' } });
    await stack.db.order.create({
      data: {
        id,
        merchantId: 'm-demo',
        customerId,
        channel: 'web',
        status: 'submitted',
        paymentMethod: 'card',
        currency: 'CNY',
        subtotal: 100,
        total: 100,
        snapshot: {},
        version: 1,
      },
    });
    const entry = await waitStuck(customerId, 'workflow_not_started');
    expect(entry.reasons).toEqual([
      expect.objectContaining({ kind: 'workflow_not_started', workflowId: `order-${id}` }),
    ]);
  });

  test('waits past their SLA (merchant, payment window) while no worker fires their timers; they move on once one does', async () => {
    const sku = await createSku(stack.db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 2 } });
    // Windows long enough to outlast reaching them and stopping the worker on a loaded machine: one
    // that ended before the worker stopped would have cancelled its order instead of going overdue.
    const merchant = await plant({ lines: [{ sku, quantity: 1 }], policy: { merchantSlaSeconds: 15 } });
    const payment = await plant({ paymentMethod: 'wechat_pay', card: undefined, policy: { paymentWindowSeconds: 15 } });
    await waitForStatus(stack.app, merchant.id, 'awaiting_merchant');
    await waitForStatus(stack.app, payment.id, 'awaiting_payment');
    await stack.stopWorker();
    try {
      const m = await waitStuck(merchant.customerId, 'wait_overdue');
      expect(m.reasons).toEqual([
        expect.objectContaining({ kind: 'wait_overdue', awaiting: 'merchant_decision', actor: 'merchant' }),
      ]);
      expect(m.since).toBe(m.reasons[0].until);
      const p = await waitStuck(payment.customerId, 'wait_overdue');
      expect(p.reasons).toEqual([
        expect.objectContaining({ kind: 'wait_overdue', awaiting: 'payment', actor: 'customer' }),
      ]);
    } finally {
      await stack.startWorker();
    }
    await waitForStatus(stack.app, merchant.id, 'cancelled');
    await waitForStatus(stack.app, payment.id, 'cancelled');
    expect(await stuckEntry(merchant.customerId)).toBeUndefined();
    expect(await stuckEntry(payment.customerId)).toBeUndefined();
  });

  test('a healthy order is not stuck and has nothing to retry (refused, audited); only support lists them; stuck must be true', async () => {
    const { id, customerId } = await plant();
    await deliverAll(stack.app, id); // delivered, waiting (7 days) for receipt: nothing overdue
    expect(await stuckEntry(customerId)).toBeUndefined();
    expectProblem(
      await send(stack.app, 'POST', `/v1/ops/orders/${id}/retry`, KEYS.support, { reason: 'just in case' }),
      409,
      '/problems/nothing-to-retry',
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/ops/orders/${id}/retry`, KEYS.support, {}),
      400,
      '/problems/validation-error',
      ['reason'],
    );
    expectProblem(
      await send(stack.app, 'POST', `/v1/ops/orders/${id}/retry`, KEYS.platform, { reason: 'x' }),
      403,
      '/problems/forbidden',
    );
    expectProblem(
      await send(stack.app, 'POST', '/v1/ops/orders/ord_missing/retry', KEYS.support, { reason: 'typo' }),
      404,
      '/problems/not-found',
    );
    const audit = expectOk(await send(stack.app, 'GET', `/v1/ops/audit?orderId=${id}`, KEYS.support));
    expect(audit.items).toEqual([
      expect.objectContaining({
        operation: 'order.retry',
        outcome: 'refused',
        statusCode: 409,
        reason: 'just in case',
      }),
    ]);
    const missing = expectOk(
      await send(stack.app, 'GET', '/v1/ops/audit?orderId=ord_missing&operation=order.retry', KEYS.support),
    );
    expect(missing.items[0]).toMatchObject({ outcome: 'refused', statusCode: 404 });
    expectProblem(await send(stack.app, 'GET', '/v1/ops/orders?stuck=true', KEYS.platform), 403, '/problems/forbidden');
    expectProblem(await send(stack.app, 'GET', '/v1/ops/orders', KEYS.support), 400, '/problems/validation-error', [
      'stuck',
    ]);
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/orders?stuck=true&cursor=$$', KEYS.support),
      400,
      '/problems/validation-error',
      ['cursor'],
    );
  });
});
