import { createSku, providerBooks, stockOf } from '../helpers/catalog';
import { recordHistory } from '../helpers/fixtures';
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
import { eventually, expectOk, expectProblem, send } from './api-helpers';

const stack = useStack({ dispatchers: ['notifications'] });

const op = (id: string, name: string, body: unknown) =>
  send(stack.app, 'POST', `/v1/ops/orders/${id}/${name}`, KEYS.support, body);
const auditOf = async (id: string) =>
  expectOk(await send(stack.app, 'GET', `/v1/ops/audit?orderId=${id}`, KEYS.support)).items;

async function place(overrides: Record<string, unknown> = {}) {
  const { res, body } = await submitOrder(stack.app, orderBody(overrides));
  expect(res.statusCode).toBe(201);
  return body.id as string;
}

describe('support refunds an amount', () => {
  test('within captured − refunded, through the order workflow; above it refused and nothing changes', async () => {
    const id = await place();
    const delivered = await deliverAll(stack.app, id);
    const total = delivered.totals.total;

    const refunded = expectOk(await op(id, 'refund', { reason: 'late delivery goodwill', amount: 1000 }));
    expect(refunded.payments[0]).toMatchObject({ captured: total, refunded: 1000 });
    expect((await providerBooks(stack.db, id)).refunded).toBe(1000);

    expectProblem(await op(id, 'refund', { reason: 'too much', amount: total }), 409, '/problems/not-allowed-in-state');
    expectProblem(await op(id, 'refund', { reason: 'zero', amount: 0 }), 400, '/problems/validation-error', ['amount']);
    expectProblem(await op(id, 'refund', { amount: 10 }), 400, '/problems/validation-error', ['reason']);
    expect((await providerBooks(stack.db, id)).refunded).toBe(1000);
    expect(await stack.db.payment.findUniqueOrThrow({ where: { id: `pay-${id}` } })).toMatchObject({
      refundedAmount: 1000,
    });

    const order = await waitForOrder(stack.app, id, (o) => o.timeline.some((e: any) => e.type === 'payment.refunded'));
    expect(order.timeline.find((e: any) => e.type === 'payment.refunded')).toMatchObject({
      actor: 'support:dev support',
      detail: { amount: 1000, reason: 'late delivery goodwill' },
    });
    // A completed order stays open through its return window: support may still refund.
    expectOk(await send(stack.app, 'POST', `/v1/orders/${id}/confirm-receipt`, KEYS.platform));
    await waitForStatus(stack.app, id, 'completed');
    expect(
      expectOk(await op(id, 'refund', { reason: 'goodwill after completion', amount: 500 })).payments[0].refunded,
    ).toBe(1500);
    expect((await providerBooks(stack.db, id)).refunded).toBe(1500);
    recordHistory(`order-${id}`, 'order-support-refunds');

    expect((await auditOf(id)).map((e: any) => [e.operation, e.outcome, e.statusCode])).toEqual([
      ['order.refund', 'succeeded', 200],
      ['order.refund', 'refused', 409],
      ['order.refund', 'succeeded', 200],
    ]);
    expect((await auditOf(id))[2].details).toMatchObject({ amount: 1000 });
  });
});

describe('support extends a window', () => {
  test("the merchant's SLA moves by the seconds given; the order waits until the new deadline", async () => {
    const sku = await createSku(stack.db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 1 } });
    const id = await place({ lines: [{ sku, quantity: 1 }], policy: { merchantSlaSeconds: 2 } });
    const waiting = await waitForStatus(stack.app, id, 'awaiting_merchant');
    const extended = expectOk(await op(id, 'extend', { reason: 'merchant asked for time', seconds: 3 }));
    const until = Date.parse(extended.pendingDecision.until);
    expect(until - Date.parse(waiting.pendingDecision.until)).toBe(3000);

    const cancelled = await waitForStatus(stack.app, id, 'cancelled');
    const end = cancelled.timeline.find((e: any) => e.type === 'order.cancelled');
    expect(Date.parse(end.at)).toBeGreaterThanOrEqual(until);
    expect(cancelled.timeline.find((e: any) => e.type === 'window.extended')).toMatchObject({
      actor: 'support:dev support',
      detail: { awaiting: 'merchant_decision', seconds: 3 },
    });
    recordHistory(`order-${id}`, 'order-support-extends-merchant-sla');
    expect((await auditOf(id))[0]).toMatchObject({
      operation: 'order.extend',
      outcome: 'succeeded',
      details: { seconds: 3, awaiting: 'merchant_decision' },
    });
  });

  test('a payment window is refused (409), audited, and stays as it was', async () => {
    const id = await place({ paymentMethod: 'wechat_pay', card: undefined });
    const before = await waitForStatus(stack.app, id, 'awaiting_payment');
    const problem = expectProblem(
      await op(id, 'extend', { reason: 'customer needs time', seconds: 60 }),
      409,
      '/problems/not-allowed-in-state',
    );
    expect(problem.detail).toMatch(/payment window cannot be extended/);
    expect((await waitForStatus(stack.app, id, 'awaiting_payment')).pendingDecision.until).toBe(
      before.pendingDecision.until,
    );
    expect((await auditOf(id))[0]).toMatchObject({ outcome: 'refused', statusCode: 409 });
  });
});

describe('support cancels after hand-over', () => {
  test('the parcel is recalled, stock is back on hand, the payment is refunded in full', async () => {
    const sku = await createSku(stack.db, { stock: { 'wh-shanghai': 5 } });
    const id = await place({ lines: [{ sku, quantity: 2 }] });
    const booked = await waitForOrder(stack.app, id, (o) => o.shipments[0]?.trackingNumber);
    const s = booked.shipments[0];
    expect(
      (await postTracking(stack.app, s.courier, { trackingNumber: s.trackingNumber, type: 'picked_up' })).statusCode,
    ).toBe(200);
    await waitForStatus(stack.app, id, 'shipped');
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 3, reserved: 0, allocated: 0 });

    // The platform may no longer cancel; support may, with a reason.
    expectProblem(
      await send(stack.app, 'POST', `/v1/orders/${id}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
      409,
      '/problems/not-allowed-in-state',
    );
    const cancelled = expectOk(await op(id, 'cancel', { reason: 'fraud confirmed by the bank' }));
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      cancellation: { reason: 'fraud confirmed by the bank', actor: 'support:dev support' },
    });
    expect(cancelled.shipments[0].status).toBe('returned_to_sender');

    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 0 });
    const books = await providerBooks(stack.db, id);
    expect(books.captured).toBe(cancelled.totals.total);
    expect(books.refunded).toBe(books.captured);
    expect(books.rows.filter((r) => r.kind === 'return_request')).toHaveLength(1);
    expect((await stack.db.shipment.findUniqueOrThrow({ where: { id: s.shipmentId } })).status).toBe(
      'returned_to_sender',
    );
    expect((await waitForOrder(stack.app, id, () => true)).timeline.map((e: any) => e.type)).toEqual(
      expect.arrayContaining(['shipment.returned_to_sender', 'order.cancelled']),
    );

    // The timeline tells the whole story, business and workflow side, with links into Temporal's UI.
    const timeline = expectOk(await send(stack.app, 'GET', `/v1/ops/orders/${id}/timeline`, KEYS.support));
    // A version 3 order follows its parcel itself (docs/decisions/100): one workflow, the order, whose
    // history holds the booking, the recall (a flag on its parcel, no signal) and the courier's events.
    const orderWf = `order-${id}`;
    expect(timeline.links.temporalUi).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${orderWf}`);
    expect(timeline.links.workflows).toEqual([expect.objectContaining({ workflowId: orderWf, status: 'completed' })]);
    const line = (source: string, kind: string, extra: Record<string, unknown> = {}) =>
      expect.objectContaining({ source, kind, ...extra });
    expect(timeline.entries).toEqual(
      expect.arrayContaining([
        line('business', 'order.submitted'),
        line('business', 'order.cancelled', { actor: 'support:dev support' }),
        line('courier', 'tracking.picked_up'),
        line('support', 'order.cancel', { summary: expect.stringContaining('fraud confirmed by the bank') }),
        // The main path's provider calls are local activities first (docs/decisions/110); a recall is not.
        line('workflow', 'local_activity.completed', { workflowId: orderWf, summary: 'authorizeCard done' }),
        line('workflow', 'update.completed', { summary: 'update supportCancel completed' }),
        line('workflow', 'local_activity.completed', { workflowId: orderWf, summary: 'bookShipment done' }),
        line('workflow', 'activity.completed', { workflowId: orderWf, summary: 'requestReturnToSender completed' }),
        line('workflow', 'signal.received', { workflowId: orderWf, summary: 'signal parcelTracking received' }),
      ]),
    );
    expect(timeline.entries.some((e: any) => e.kind === 'signal.sent')).toBe(false);
    const times = timeline.entries.map((e: any) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // projectOrder markers repeat the business lines, so they are left out.
    expect(timeline.entries.some((e: any) => e.summary.startsWith('projectOrder'))).toBe(false);
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/orders/ord_missing/timeline', KEYS.support),
      404,
      '/problems/not-found',
    );

    expectProblem(await op(id, 'cancel', { reason: 'again' }), 409, '/problems/not-allowed-in-state');
    expect((await auditOf(id)).map((e: any) => [e.operation, e.outcome])).toEqual([
      ['order.cancel', 'refused'],
      ['order.cancel', 'succeeded'],
    ]);
  });

  test('after delivery it is refused and nothing changes', async () => {
    const id = await place();
    const delivered = await deliverAll(stack.app, id);
    expectProblem(await op(id, 'cancel', { reason: 'too late' }), 409, '/problems/not-allowed-in-state');
    const after = await waitForOrder(stack.app, id, () => true);
    expect(after.status).toBe('delivered');
    expect(after.payments).toEqual(delivered.payments);
    expect((await providerBooks(stack.db, id)).refunded).toBe(0);
  });
});

describe('support resends a notification', () => {
  test('a sent one is copied under a new key, a failed one is queued again under its own; both go out through the outbox', async () => {
    const id = await place();
    const noticeId = `${id}:merchant.new_order`;
    const notice = () => stack.db.notification.findUnique({ where: { id: noticeId } });
    await eventually(notice, (n) => n?.status === 'sent', 'the merchant notice sent');
    // The merchant's notice only: the customer hears of the order's milestones too (docs/notifications.md).
    const sentRecords = async () =>
      (await stack.db.simulatorRecord.findMany({ where: { orderId: id, kind: 'notification' } }))
        .map((r) => r.idempotencyKey)
        .filter((k) => k.startsWith(noticeId))
        .sort();
    expect(await sentRecords()).toEqual([noticeId]);

    expectProblem(
      await op(id, 'resend-notification', { reason: 'merchant says nothing came' }),
      409,
      '/problems/nothing-to-resend',
    );

    // Sent, but the merchant never saw it: a copy under a new key goes out.
    const copied = expectOk(
      await op(id, 'resend-notification', { reason: 'merchant never saw it', notificationId: noticeId }),
    );
    expect(copied.queued).toEqual([
      expect.objectContaining({ id: `${noticeId}:resend-1`, was: 'sent', copyOf: noticeId }),
    ]);
    await eventually(
      () => stack.db.notification.findUnique({ where: { id: `${noticeId}:resend-1` } }),
      (n) => n?.status === 'sent',
      'the copy sent',
    );
    expect(await sentRecords()).toEqual([noticeId, `${noticeId}:resend-1`]);

    // The dispatcher gave up on it (planted): queued again under its own key, the gateway sends it once.
    await stack.db.notification.update({
      where: { id: noticeId },
      data: { status: 'failed', attempts: 8, lastError: 'in_app gateway timed out' },
    });
    const requeued = expectOk(await op(id, 'resend-notification', { reason: 'gateway is back' }));
    expect(requeued.queued).toEqual([expect.objectContaining({ id: noticeId, was: 'failed' })]);
    await eventually(notice, (n) => n?.status === 'sent' && n.lastError === null, 'the failed notice sent again');
    expect(await sentRecords()).toEqual([noticeId, `${noticeId}:resend-1`]);

    expectProblem(
      await op(id, 'resend-notification', { reason: 'typo', notificationId: 'nope' }),
      404,
      '/problems/not-found',
    );
    expect((await auditOf(id)).map((e: any) => [e.operation, e.outcome])).toEqual([
      ['order.resend-notification', 'refused'],
      ['order.resend-notification', 'succeeded'],
      ['order.resend-notification', 'succeeded'],
      ['order.resend-notification', 'refused'],
    ]);
    const timeline = expectOk(await send(stack.app, 'GET', `/v1/ops/orders/${id}/timeline`, KEYS.support));
    const merchantNotices = timeline.entries.filter(
      (e: any) => e.source === 'notification' && e.actor.startsWith('merchant:'),
    );
    expect(merchantNotices.map((e: any) => e.kind)).toEqual(['notification.sent', 'notification.sent']);
  });
});
