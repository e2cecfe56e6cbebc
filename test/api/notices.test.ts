// docs/notifications.md, "Customer and merchant notices", on the real engine (Temporal, PostgreSQL, the
// simulated gateways): a lifecycle tells the customer each milestone once per channel; preferences choose
// channels and locale; a gateway that fails, answers 5xx or answers late is retried and sends once; a
// message failed for good is listed for support and resent; merchants are warned before their SLA
// deadlines and told of low stock.
import { randomUUID } from 'node:crypto';
import type { Notification } from '../../prisma/generated/client';
import { queueLowStockNotices } from '../../store/notice-scans';
import { createSku } from '../helpers/catalog';
import { KEYS, orderBody, postTracking, submitOrder, useStack, waitForOrder, waitForStatus } from '../helpers/stack';
import { eventually, expectOk, expectProblem, send } from './api-helpers';

const LOW_STOCK = 3;
const stack = useStack({
  dispatchers: ['notifications'],
  dispatcher: {
    intervalMs: 50,
    sendTimeoutMs: 500,
    maxAttempts: 4,
    scans: { intervalMs: 200, slaLeadMs: 60_000, lowStockThreshold: LOW_STOCK },
  },
  // A planted "slow" answer comes after the dispatcher's send timeout.
  notifier: { slowMs: 1500 },
});

const customerRows = (orderId: string) =>
  stack.db.notification.findMany({ where: { orderId, recipientType: 'customer' }, orderBy: { id: 'asc' } });

/** Waits until the order's customer notices number `count` and all are sent. */
const allSent = (orderId: string, count: number) =>
  eventually(
    () => customerRows(orderId),
    (rows) => rows.length === count && rows.every((r) => r.status === 'sent'),
    `${count} customer notices of ${orderId} sent`,
    30_000,
  );

/** The gateway's own books: how many messages it sent per idempotency key. */
async function gatewaySent(ids: string[]) {
  const records = await stack.db.simulatorRecord.findMany({ where: { idempotencyKey: { in: ids } } });
  return Object.fromEntries(ids.map((id) => [id, records.filter((r) => r.idempotencyKey === id).length]));
}

const kindsByChannel = (rows: Notification[]) => {
  const out: Record<string, string[]> = {};
  for (const r of rows) (out[r.channel] ??= []).push(r.kind);
  for (const c of Object.keys(out)) out[c].sort();
  return out;
};

async function track(orderId: string, types: Array<Parameters<typeof postTracking>[2]['type']>) {
  const order = await waitForOrder(stack.app, orderId, (o) => o.shipments[0]?.trackingNumber);
  const s = order.shipments[0];
  for (const type of types) {
    const res = await postTracking(stack.app, s.courier, { trackingNumber: s.trackingNumber, type, signedBy: '张三' });
    expect(res.statusCode).toBe(200);
    await waitForOrder(stack.app, orderId, (o) => o.shipments[0].status === type);
  }
  return s;
}

test('a lifecycle tells the customer each milestone once per channel (SMS and in-app by default), in Chinese', async () => {
  const { body } = await submitOrder(stack.app, orderBody({ policy: { autoConfirmSeconds: 3 } }));
  const parcel = await track(body.id, [
    'picked_up',
    'in_transit',
    'out_for_delivery',
    'delivery_failed',
    'out_for_delivery',
    'delivered',
  ]);
  await waitForStatus(stack.app, body.id, 'completed', 30_000);
  const rows = await allSent(body.id, 16);
  const milestones = [
    'order.confirmed',
    'payment.received', // authorized, then captured at hand-over: once
    'receipt.auto_confirmed',
    'shipment.delivered',
    'shipment.delivery_failed',
    'shipment.out_for_delivery', // two attempts, two messages
    'shipment.out_for_delivery',
    'shipment.shipped', // picked up, then in transit: once
  ].sort();
  expect(kindsByChannel(rows)).toEqual({ sms: milestones, in_app: milestones });
  // One message per row at the gateway, and ids that name the business event and the channel.
  expect(Object.values(await gatewaySent(rows.map((r) => r.id)))).toEqual(rows.map(() => 1));
  expect(rows.map((r) => r.id)).toEqual(
    expect.arrayContaining([`${body.id}:confirmed:sms`, `${body.id}:shipped:1:in_app`, `${body.id}:receipt:sms`]),
  );
  const shipped = rows.find((r) => r.kind === 'shipment.shipped' && r.channel === 'sms')!;
  expect((shipped.payload as any).message).toEqual({
    locale: 'zh-CN',
    subject: '订单已发货',
    text: `订单 ${body.id} 已发货：${parcel.courier}，运单号 ${parcel.trackingNumber}。`,
  });
  // The merchant heard of the order once, as before.
  const merchant = await stack.db.notification.findMany({ where: { orderId: body.id, recipientType: 'merchant' } });
  expect(merchant.map((n) => [n.id, n.kind, n.channel])).toEqual([
    [`${body.id}:merchant.new_order`, 'order.new', 'in_app'],
  ]);
});

test('a cancelled card order tells the customer the money is coming back, once per channel', async () => {
  const { body } = await submitOrder(stack.app, orderBody());
  await waitForOrder(stack.app, body.id, (o) => o.shipments[0]?.trackingNumber);
  expectOk(await send(stack.app, 'POST', `/v1/orders/${body.id}/cancel`, KEYS.platform, { reason: 'changed mind' }));
  await waitForStatus(stack.app, body.id, 'cancelled');
  const rows = await allSent(body.id, 6);
  const kinds = ['order.confirmed', 'payment.received', 'refund.issued'];
  expect(kindsByChannel(rows)).toEqual({ sms: kinds, in_app: kinds });
  const refund = rows.find((r) => r.kind === 'refund.issued' && r.channel === 'sms')!;
  expect((refund.payload as any).message.text).toBe(`订单 ${body.id} 的退款 ¥88.00 已发起，将原路退回。`);
});

describe('preferences', () => {
  const url = (id: string) => `/v1/customers/${id}/notification-preferences`;

  test('none set → the defaults; set → stored and answered; an email-only customer gets no SMS, in English with HTML', async () => {
    const customerId = `cust-${randomUUID().slice(0, 8)}`;
    expect(expectOk(await send(stack.app, 'GET', url(customerId), KEYS.platform))).toEqual({
      customerId,
      channels: { transactional: ['sms', 'in_app'], marketing: [] },
      locale: 'zh-CN',
      default: true,
    });
    const prefs = { channels: { transactional: ['email'], marketing: [] }, locale: 'en' };
    const key = randomUUID();
    const put = expectOk(
      await send(stack.app, 'PUT', url(customerId), KEYS.platform, prefs, { 'idempotency-key': key }),
    );
    expect(put).toEqual({ customerId, ...prefs, default: false });
    // A retried PUT answers the same.
    const again = await send(stack.app, 'PUT', url(customerId), KEYS.platform, prefs, { 'idempotency-key': key });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(expectOk(await send(stack.app, 'GET', url(customerId), KEYS.support))).toEqual(put);

    const base = orderBody();
    const { body } = await submitOrder(stack.app, { ...base, customer: { ...base.customer, id: customerId } });
    await waitForStatus(stack.app, body.id, 'fulfilling');
    const rows = await allSent(body.id, 2);
    expect(kindsByChannel(rows)).toEqual({ email: ['order.confirmed', 'payment.received'] });
    const paid = rows.find((r) => r.kind === 'payment.received')!;
    expect((paid.payload as any).message).toEqual({
      locale: 'en',
      subject: 'Payment received',
      text: `We received your payment of ¥88.00 for order ${body.id}. Thank you!`,
      html: `<p>We received your payment of ¥88.00 for order ${body.id}. Thank you!</p>`,
    });
    expect(await stack.db.simulatorRecord.count({ where: { provider: 'notify-sms', orderId: body.id } })).toBe(0);
  });

  test('bad input → 400 naming each field; the merchant and logistics roles may not', async () => {
    const id = `cust-${randomUUID().slice(0, 8)}`;
    expectProblem(
      await send(stack.app, 'PUT', url(id), KEYS.platform, {
        channels: { transactional: ['fax'], marketing: [] },
        locale: 'fr',
        quietHours: { start: '7pm', end: '08:00' },
      }),
      400,
      '/problems/validation-error',
      ['channels.transactional.0', 'locale', 'quietHours.start'],
    );
    expectProblem(
      await send(stack.app, 'PUT', url(id), KEYS.support, {
        channels: { transactional: [], marketing: [] },
        locale: 'en',
      }),
      400,
      '/problems/validation-error',
      ['channels.transactional'],
    );
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/notifications?cursor=bm90LWEtY3Vyc29y&status=lost', KEYS.support),
      400,
      '/problems/validation-error',
      ['status'],
    );
    expectProblem(
      await send(stack.app, 'GET', '/v1/ops/notifications?cursor=bm90LWEtY3Vyc29y', KEYS.support),
      400,
      '/problems/validation-error',
      ['cursor'],
    );
    expectProblem(await send(stack.app, 'GET', url(id), KEYS.merchant), 403, '/problems/forbidden');
    expectProblem(await send(stack.app, 'GET', url(id), KEYS.logistics), 403, '/problems/forbidden');
  });
});

test('gateway faults: a 5xx, a lost answer and a late one are retried and the message is sent once; one failed for good is listed and resent', async () => {
  const { sms, in_app } = stack.providers.notifiers;
  // m-manual accepts by hand: the confirmation is queued only after the faults are planted.
  const sku = await createSku(stack.db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 10 } });
  const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  await waitForStatus(stack.app, body.id, 'awaiting_merchant');
  // A fault strikes a whole gateway request: the order's earlier notices go first, so the faulted
  // requests carry only the confirmation.
  await eventually(
    () => stack.db.notification.findMany({ where: { orderId: body.id } }),
    (rows) => rows.length > 0 && rows.every((n) => n.status === 'sent'),
    'the earlier notices sent',
    30_000,
  );
  const smsId = `${body.id}:confirmed:sms`;
  const appId = `${body.id}:confirmed:in_app`;
  sms.plant(smsId, 'error', 'timeout_after_send', 'slow');
  in_app.plant(appId, 'timeout', 'timeout', 'timeout', 'timeout');
  const accepted = await send(stack.app, 'POST', `/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, {
    decision: 'accept',
  });
  expectOk(accepted);

  const row = (id: string) => stack.db.notification.findUnique({ where: { id } });
  expect(
    await eventually(
      () => row(smsId),
      (n) => n?.status === 'sent',
      'the SMS sent',
      30_000,
    ),
  ).toMatchObject({
    attempts: 4,
    lastError: null,
  });
  const failed = await eventually(
    () => row(appId),
    (n) => n?.status === 'failed',
    'the in-app message failed',
    30_000,
  );
  expect(failed).toMatchObject({ attempts: 4, lastError: expect.stringContaining('timed out') });
  expect(await gatewaySent([smsId, appId])).toEqual({ [smsId]: 1, [appId]: 0 });

  // Support sees it in the console's list and resends it through the order's operation.
  const list = expectOk(await send(stack.app, 'GET', `/v1/ops/notifications?orderId=${body.id}`, KEYS.support));
  expect(list.items.map((n: any) => [n.id, n.kind, n.channel, n.status])).toEqual([
    [appId, 'order.confirmed', 'in_app', 'failed'],
  ]);
  expect(list.items[0].subject).toBe('订单已确认');
  expectProblem(await send(stack.app, 'GET', '/v1/ops/notifications', KEYS.platform), 403, '/problems/forbidden');
  const resent = expectOk(
    await send(stack.app, 'POST', `/v1/ops/orders/${body.id}/resend-notification`, KEYS.support, {
      reason: 'gateway is back',
      notificationId: appId,
    }),
  );
  expect(resent.queued).toEqual([expect.objectContaining({ id: appId, was: 'failed' })]);
  await eventually(
    () => row(appId),
    (n) => n?.status === 'sent',
    'the resent message sent',
  );
  expect(await gatewaySent([smsId, appId])).toEqual({ [smsId]: 1, [appId]: 1 });
});

test('the messages due on one channel go in one gateway request; a fault strikes the request, and each message is still sent once', async () => {
  const { sms } = stack.providers.notifiers;
  const batch = randomUUID();
  const ids = [1, 2, 3].map((i) => `batch-${batch}:${i}`);
  const requests: string[][] = [];
  const send = sms.sendBatch.bind(sms);
  const spy = jest.spyOn(sms, 'sendBatch').mockImplementation((msgs) => {
    requests.push(msgs.map((m) => m.idempotencyKey).sort());
    return send(msgs);
  });
  try {
    // The answer to the first request is lost after the gateway sent all three.
    sms.plant(ids[1], 'timeout_after_send');
    await stack.db.notification.createMany({
      data: ids.map((id) => ({
        id,
        recipientType: 'customer',
        recipientId: 'cust-batch',
        channel: 'sms',
        kind: 'order.confirmed',
        payload: { message: { text: '订单已确认' } },
      })),
    });
    const rows = await eventually(
      () => stack.db.notification.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } }),
      (found) => found.every((n) => n.status === 'sent'),
      'the three messages sent',
      30_000,
    );
    expect(rows.map((n) => n.attempts)).toEqual([2, 2, 2]);
    // Ours only (a request may carry other tests' messages too): all three in the first, all three again.
    const ours = requests.map((keys) => keys.filter((k) => ids.includes(k))).filter((keys) => keys.length > 0);
    expect(ours).toEqual([ids, ids]);
    expect(await gatewaySent(ids)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  } finally {
    spy.mockRestore();
  }
});

test('a merchant is warned before its confirmation deadline and before its shipping deadline', async () => {
  const sku = await createSku(stack.db, { merchantId: 'm-manual', stock: { 'wh-shanghai': 10 } });
  // Deadlines inside the dispatcher's lead time (60 s): warned at its next scan, well before they pass.
  const { body } = await submitOrder(
    stack.app,
    orderBody({ lines: [{ sku, quantity: 1 }], policy: { merchantSlaSeconds: 45 } }),
  );
  const waiting = await waitForStatus(stack.app, body.id, 'awaiting_merchant');
  const warnings = () =>
    stack.db.notification.findMany({
      where: { orderId: body.id, kind: 'merchant.sla_warning' },
      orderBy: { createdAt: 'asc' },
    });
  const [decision] = await eventually(warnings, (ws) => ws[0]?.status === 'sent', 'the decision warning sent');
  expect(decision).toMatchObject({ recipientType: 'merchant', recipientId: 'm-manual', channel: 'in_app' });
  expect(decision.payload).toMatchObject({ awaiting: 'merchant_decision', until: waiting.pendingDecision.until });
  expect(decision.sentAt!.getTime()).toBeLessThan(Date.parse(waiting.pendingDecision.until));

  expectOk(
    await send(stack.app, 'POST', `/v1/orders/${body.id}/merchant-decision`, KEYS.manualMerchant, {
      decision: 'accept',
    }),
  );
  const shipping = await waitForOrder(stack.app, body.id, (o) => o.pendingDecision?.awaiting === 'shipment');
  const ws = await eventually(warnings, (w) => w.length === 2 && w[1].status === 'sent', 'the shipping warning sent');
  expect(ws[1].payload).toMatchObject({ awaiting: 'shipment', until: shipping.pendingDecision.until });
  expect(ws[1].sentAt!.getTime()).toBeLessThan(Date.parse(shipping.pendingDecision.until));
  // Scans keep running: still one warning per deadline.
  expect((await warnings()).length).toBe(2);
  // Ship, so the order does not run into its SLA after the test.
  expectOk(
    await send(stack.app, 'POST', `/v1/orders/${body.id}/shipments`, KEYS.manualMerchant, { courier: 'sf-express' }),
    201,
  );
});

test('a merchant is told once when a SKU’s available stock drops below the threshold', async () => {
  const sku = await createSku(stack.db, { merchantId: 'm-demo', stock: { 'wh-shanghai': LOW_STOCK + 1 } });
  const lowOf = () =>
    stack.db.notification.findMany({ where: { kind: 'stock.low', payload: { path: ['sku'], equals: sku } } });
  const { body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
  await waitForStatus(stack.app, body.id, 'fulfilling');
  const [notice] = await eventually(lowOf, (ns) => ns[0]?.status === 'sent', 'the low-stock notice sent');
  expect(notice).toMatchObject({ recipientType: 'merchant', recipientId: 'm-demo', channel: 'in_app' });
  expect(notice.payload).toMatchObject({ sku, warehouseId: 'wh-shanghai', available: LOW_STOCK - 1 });
  expect((notice.payload as any).message.text).toBe(`商品 ${sku} 在仓库 wh-shanghai 的可用库存仅剩 2 件，请及时补货。`);
  // Another scan of the same drop queues nothing for it. (The scan's count covers every SKU: another
  // test's stock may drop meanwhile, so only this SKU's notices are counted.)
  await queueLowStockNotices(stack.db, LOW_STOCK);
  expect(await lowOf()).toHaveLength(1);
  // A notice without an order is resent on its own (the merchant says it never arrived): a copy, audited.
  const resent = expectOk(
    await send(stack.app, 'POST', `/v1/ops/notifications/${encodeURIComponent(notice.id)}/resend`, KEYS.support, {
      reason: 'merchant did not see it',
    }),
  );
  expect(resent.queued).toEqual([expect.objectContaining({ id: `${notice.id}:resend-1`, was: 'sent' })]);
  await eventually(
    () => stack.db.notification.findUnique({ where: { id: `${notice.id}:resend-1` } }),
    (n) => n?.status === 'sent',
    'the copy sent',
  );
  expect(await gatewaySent([notice.id, `${notice.id}:resend-1`])).toEqual({
    [notice.id]: 1,
    [`${notice.id}:resend-1`]: 1,
  });
  const audit = await stack.db.auditEntry.findFirst({
    where: { operation: 'notification.resend' },
    orderBy: { id: 'desc' },
  });
  expect(audit).toMatchObject({ outcome: 'succeeded', reason: 'merchant did not see it' });
  expectProblem(
    await send(stack.app, 'POST', '/v1/ops/notifications/nope/resend', KEYS.support, { reason: 'typo' }),
    404,
    '/problems/not-found',
  );
});
