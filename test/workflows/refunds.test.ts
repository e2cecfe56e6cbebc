// Refunds confirmed asynchronously (issue 4): a wallet order cancelled after payment records its refund
// decision (pending, reserved against the capture), the provider accepts it and later posts a signed
// refund.succeeded / refund.failed naming the refund; the refund's own workflow (`refund-<refundId>`)
// waits for it and requests the refund again (same key) when it does not come. Real Temporal, real
// PostgreSQL, the wallet simulators; the notifications go through the real webhook route.
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { webhookSecret } from '../../adapters/secrets';
import { signWebhook } from '../../adapters/signing';
import { businessKey, type PaymentWebhook } from '../../domain';
import { refundWorkflowId } from '../../contract';
import { expectOk, expectProblem, send } from '../api/api-helpers';
import { createMerchant, createSku, providerBooks } from '../helpers/catalog';
import { KEYS, getOrder, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';
import type { RefundScript } from '../../adapters/simulators';

const stack = useStack();
type Wallet = 'wechat_pay' | 'alipay';

/** A paid wallet order waiting for its merchant (so it can be cancelled), its refunds scripted at the provider. */
async function paidWalletOrder(method: Wallet, refundConfirmSeconds: number, script: RefundScript = {}) {
  const { app, db, providers } = stack;
  const merchantId = await createMerchant(db, { autoAccept: false, refundConfirmSeconds });
  const sku = await createSku(db, { merchantId, price: 1500, stock: { 'wh-shanghai': 5 } });
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: method, card: undefined, lines: [{ sku, quantity: 2 }] }),
  );
  await waitForStatus(app, body.id, 'awaiting_payment');
  const payment = await db.payment.findFirstOrThrow({ where: { orderId: body.id } });
  providers.wallets[method].scriptRefunds(body.id, script);
  await providers.wallets[method].pay(payment.providerRef!);
  await waitForStatus(app, body.id, 'awaiting_merchant');
  return {
    id: body.id as string,
    customerId: body.customerId as string,
    total: body.totals.total as number,
    paymentId: payment.id,
    refundId: businessKey(body.id, `refund-${payment.id}`),
  };
}

async function cancel(id: string) {
  return expectOk(
    await send(stack.app, 'POST', `/v1/orders/${id}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
  );
}

/** Polls until `read` gives something `done` accepts (no fixed sleeps). */
async function waitUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not reached; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const refundRow = (refundId: string) => stack.db.refund.findUniqueOrThrow({ where: { id: refundId } });
const refundRecords = async (orderId: string) =>
  (await providerBooks(stack.db, orderId)).rows.filter((r) => r.kind === 'refund');

/** Posts a payment notification as the provider would: signed with `secret` (default: the provider's own). */
function postNotification(provider: string, event: Record<string, unknown>, secret = webhookSecret(provider)) {
  const raw = JSON.stringify(event);
  return send(stack.app, 'POST', `/v1/webhooks/payments/${provider}`, undefined, raw, {
    'x-signature': signWebhook(secret, raw),
  });
}

async function signalsOf(workflowId: string): Promise<string[]> {
  const { events = [] } = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).flatMap((e) =>
    e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName ?? ''] : [],
  );
}

test('a cancelled wallet order: the refund decision is pending until the signed refund.succeeded; bad notifications change nothing; duplicates are no-ops', async () => {
  // The provider completes the refund but its notification is lost: this test plays the provider posting it.
  const order = await paidWalletOrder('wechat_pay', 600, { dropNotifications: 1 });
  const cancelled = await cancel(order.id);
  expect(cancelled).toMatchObject({ status: 'cancelled' });

  // The decision: recorded and reserved against the capture, awaiting the provider.
  const pending = await getOrder(stack.app, order.id);
  expect(pending.payments[0]).toMatchObject({ captured: order.total, refunded: order.total });
  expect(pending.payments[0].refunds).toEqual([
    expect.objectContaining({
      id: order.refundId,
      amount: order.total,
      reason: 'changed my mind',
      status: 'pending',
      confirmedAt: null,
    }),
  ]);
  expect(pending.flags).toEqual([]);
  const [record] = await waitUntil(
    () => refundRecords(order.id),
    (rs) => rs.length === 1 && rs[0].status === 'succeeded',
  );
  const row = await refundRow(order.refundId);
  expect(row).toMatchObject({ status: 'pending', confirmedAt: null, providerRef: record.reference });

  // Reconciliation: the provider has it, we await its notification within the window — not a difference.
  const { reconcilePayments } = createActivities({ db: stack.db, providers: stack.providers });
  const runId = `refunds-test-${randomUUID().slice(0, 8)}`;
  await reconcilePayments({
    runId,
    from: new Date(Date.now() - 600_000).toISOString(),
    to: new Date(Date.now() + 1000).toISOString(),
  });
  expect(await stack.db.reconciliationDifference.findMany({ where: { runId, refundId: order.refundId } })).toEqual([]);

  // The notification the provider would have sent.
  const event: PaymentWebhook = {
    eventId: (record.response as { eventId: string }).eventId,
    type: 'refund.succeeded',
    paymentId: order.paymentId,
    orderId: order.id,
    refundId: order.refundId,
    amount: order.total,
    currency: 'CNY',
    occurredAt: new Date().toISOString(),
  };
  // Bad ones first: each refused, and nothing changes (not even the event id is taken).
  expectProblem(await postNotification('wechat_pay', event, webhookSecret('alipay')), 401, '/problems/unauthorized');
  expectProblem(
    await postNotification('wechat_pay', { ...event, refundId: undefined }),
    400,
    '/problems/validation-error',
    ['refundId'],
  );
  expectProblem(
    await postNotification('wechat_pay', { ...event, refundId: `${order.id}:refund-nothing:1` }),
    404,
    '/problems/not-found',
  );
  expectProblem(
    await postNotification('wechat_pay', { ...event, paymentId: `pay-${randomUUID()}` }),
    404,
    '/problems/not-found',
  );
  expectProblem(await postNotification('alipay', event), 404, '/problems/not-found'); // another provider's refund
  expectProblem(
    await postNotification('wechat_pay', { ...event, amount: order.total - 1 }),
    422,
    '/problems/unprocessable',
    ['amount'],
  );
  expectProblem(await postNotification('wechat_pay', { ...event, currency: 'USD' }), 422, '/problems/unprocessable', [
    'currency',
  ]);
  expect(await refundRow(order.refundId)).toMatchObject({ status: 'pending', confirmedAt: null });
  expect(await stack.db.webhookEvent.count({ where: { eventId: event.eventId } })).toBe(0);
  expect(await signalsOf(refundWorkflowId(order.refundId))).toEqual([]);

  // The real one confirms it.
  expect(expectOk(await postNotification('wechat_pay', event))).toEqual({ received: true, duplicate: false });
  const confirmed = await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'succeeded',
  );
  expect(confirmed.confirmedAt).toBeInstanceOf(Date);
  expect(await stack.client.workflow.getHandle(refundWorkflowId(order.refundId)).result()).toEqual({
    status: 'succeeded',
    requests: 0,
    eventId: event.eventId,
  });

  // Duplicates: the same event, or another event for the confirmed refund — acknowledged, nothing moves.
  expect(expectOk(await postNotification('wechat_pay', event))).toEqual({ received: true, duplicate: true });
  expect(expectOk(await postNotification('wechat_pay', { ...event, eventId: `${event.eventId}-again` }))).toEqual({
    received: true,
    duplicate: true,
  });
  expect(
    expectOk(
      await postNotification('wechat_pay', { ...event, eventId: `${event.eventId}-failed`, type: 'refund.failed' }),
    ),
  ).toEqual({ received: true, duplicate: true });
  expect(await refundRow(order.refundId)).toMatchObject({ status: 'succeeded', confirmedAt: confirmed.confirmedAt });
  expect(await signalsOf(refundWorkflowId(order.refundId))).toEqual(['refundNotified']);

  // Visible in the order and its timeline; exactly one refund in the provider's books.
  const done = await getOrder(stack.app, order.id);
  expect(done.payments[0].refunds).toEqual([
    expect.objectContaining({
      id: order.refundId,
      status: 'succeeded',
      confirmedAt: confirmed.confirmedAt!.toISOString(),
    }),
  ]);
  const books = await providerBooks(stack.db, order.id);
  expect(books.rows.filter((r) => r.kind === 'refund')).toHaveLength(1);
  expect(books.refunded).toBe(books.captured);
  const timeline = expectOk(await send(stack.app, 'GET', `/v1/ops/orders/${order.id}/timeline`, KEYS.support));
  const refundLines = timeline.entries.filter((e: any) => e.source === 'payment').map((e: any) => e.kind);
  expect(refundLines).toEqual(['refund.requested', 'refund.succeeded']);
  expect(timeline.links.workflows).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ workflowId: refundWorkflowId(order.refundId), status: 'completed' }),
    ]),
  );
});

test('a lost notification: the workflow requests the refund again under the same key and is confirmed; still one refund at the provider', async () => {
  const order = await paidWalletOrder('alipay', 2, { dropNotifications: 1 });
  await cancel(order.id);
  expect(await refundRow(order.refundId)).toMatchObject({ status: 'pending' });
  const confirmed = await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'succeeded',
    30_000,
  );
  // Not before the window had passed: it took the second request.
  expect(confirmed.confirmedAt!.getTime() - confirmed.createdAt.getTime()).toBeGreaterThanOrEqual(2000);
  expect(await stack.client.workflow.getHandle(refundWorkflowId(order.refundId)).result()).toMatchObject({
    status: 'succeeded',
    requests: 1,
  });
  const records = await refundRecords(order.id);
  expect(records).toEqual([
    expect.objectContaining({ idempotencyKey: order.refundId, status: 'succeeded', amount: order.total }),
  ]);
  expect((await providerBooks(stack.db, order.id)).refunded).toBe(order.total);
  expect((await getOrder(stack.app, order.id)).payments[0].refunds).toEqual([
    expect.objectContaining({ status: 'succeeded' }),
  ]);
});

test('duplicated notifications confirm once', async () => {
  const order = await paidWalletOrder('wechat_pay', 600, { duplicate: true });
  await cancel(order.id);
  await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'succeeded',
  );
  await stack.providers.wallets.wechat_pay.notificationsSettled();
  const [record] = await refundRecords(order.id);
  const eventId = (record.response as { eventId: string }).eventId;
  expect(await stack.db.webhookEvent.count({ where: { source: 'wechat_pay', eventId } })).toBe(1);
  expect(await signalsOf(refundWorkflowId(order.refundId))).toEqual(['refundNotified']);
  expect(await stack.client.workflow.getHandle(refundWorkflowId(order.refundId)).result()).toMatchObject({
    status: 'succeeded',
    requests: 0,
  });
  expect(await refundRecords(order.id)).toHaveLength(1);
});

test('refund.failed: the refund is marked failed and the order flagged for support', async () => {
  const order = await paidWalletOrder('alipay', 600, { outcome: 'failed' });
  await cancel(order.id);
  const failed = await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'failed',
  );
  expect(failed.confirmedAt).toBeInstanceOf(Date);
  expect(await stack.client.workflow.getHandle(refundWorkflowId(order.refundId)).result()).toMatchObject({
    status: 'failed',
  });

  const view = await getOrder(stack.app, order.id);
  expect(view.payments[0].refunds).toEqual([expect.objectContaining({ id: order.refundId, status: 'failed' })]);
  expect(view.flags).toEqual([
    expect.objectContaining({
      kind: 'refund_failed',
      detail: { refundId: order.refundId, paymentId: order.paymentId, amount: order.total },
    }),
  ]);
  // The decision stands (the money stays reserved for support to settle), while no money moved.
  expect(view.payments[0]).toMatchObject({ captured: order.total, refunded: order.total });
  expect((await providerBooks(stack.db, order.id)).refunded).toBe(0);
  const flagged = expectOk(
    await send(stack.app, 'GET', `/v1/orders?flagged=true&customerId=${order.customerId}`, KEYS.support),
  );
  expect(flagged.items).toEqual([
    expect.objectContaining({ id: order.id, flags: [expect.objectContaining({ kind: 'refund_failed' })] }),
  ]);
  const timeline = expectOk(await send(stack.app, 'GET', `/v1/ops/orders/${order.id}/timeline`, KEYS.support));
  expect(timeline.entries.filter((e: any) => e.source === 'payment').map((e: any) => e.kind)).toEqual([
    'refund.requested',
    'refund.failed',
  ]);
});

test('reconciliation reports a refund the provider made that awaited its notification longer than the window', async () => {
  const order = await paidWalletOrder('wechat_pay', 600, { dropNotifications: 1 });
  await cancel(order.id);
  await waitUntil(
    () => refundRecords(order.id),
    (rs) => rs[0]?.status === 'succeeded',
  );
  // As if decided 11 minutes ago (the window is 10).
  await stack.db.refund.update({ where: { id: order.refundId }, data: { createdAt: new Date(Date.now() - 660_000) } });
  const { reconcilePayments } = createActivities({ db: stack.db, providers: stack.providers });
  const runId = `refunds-test-${randomUUID().slice(0, 8)}`;
  await reconcilePayments({
    runId,
    from: new Date(Date.now() - 3600_000).toISOString(),
    to: new Date(Date.now() + 1000).toISOString(),
  });
  expect(await stack.db.reconciliationDifference.findMany({ where: { runId, refundId: order.refundId } })).toEqual([
    expect.objectContaining({ kind: 'unconfirmed_refund', ours: order.total, theirs: order.total }),
  ]);
});

test('a refund unconfirmed past STUCK_REFUND_SECONDS lists its (cancelled) order among the stuck ones, until it is confirmed', async () => {
  const order = await paidWalletOrder('wechat_pay', 600, { dropNotifications: 1 });
  await cancel(order.id);
  await waitUntil(
    () => refundRecords(order.id),
    (rs) => rs[0]?.status === 'succeeded',
  ); // done at the provider, its notice lost
  const stuck = async () =>
    expectOk(await send(stack.app, 'GET', `/v1/ops/orders?stuck=true&customerId=${order.customerId}`, KEYS.support))
      .items;
  expect(await stuck()).toEqual([]); // within the threshold (1 h)
  // As if decided two hours ago.
  const decidedAt = new Date(Date.now() - 2 * 3600_000);
  await stack.db.refund.update({ where: { id: order.refundId }, data: { createdAt: decidedAt } });
  expect(await stuck()).toEqual([
    expect.objectContaining({
      orderId: order.id,
      status: 'cancelled',
      reasons: [
        {
          kind: 'refund_unconfirmed',
          refundId: order.refundId,
          paymentId: order.paymentId,
          amount: order.total,
          decidedAt: decidedAt.toISOString(),
          since: new Date(decidedAt.getTime() + 3600_000).toISOString(),
        },
      ],
    }),
  ]);
  // The provider's notification, sent again, confirms it: no longer stuck.
  const books = await refundRecords(order.id);
  const event: PaymentWebhook = {
    eventId: `evt-${order.refundId}-late`,
    type: 'refund.succeeded',
    paymentId: order.paymentId,
    orderId: order.id,
    refundId: order.refundId,
    amount: order.total,
    currency: 'CNY',
    occurredAt: new Date().toISOString(),
  };
  expect(books).toHaveLength(1);
  expect((await postNotification('wechat_pay', event)).statusCode).toBe(200);
  await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'succeeded',
  );
  expect(await stuck()).toEqual([]);
});

test('a worker lost right after the provider call: the notification starts the confirmation itself; the retried activity finds it confirmed', async () => {
  const order = await paidWalletOrder('wechat_pay', 600);
  const refundId = `${order.id}:refund-crash-test:1`;
  const request = {
    orderId: order.id,
    paymentId: order.paymentId,
    idempotencyKey: refundId,
    amount: 500,
    reason: 'goodwill',
  };
  // The refund is decided and requested, then the worker dies before starting the confirmation workflow.
  const crashing = createActivities({
    db: stack.db,
    providers: stack.providers,
    temporal: {
      client: {
        workflow: {
          start: async () => {
            throw new Error('worker lost');
          },
        },
      } as never,
      taskQueue: stack.taskQueue,
    },
  });
  await expect(crashing.refundPayment(request)).rejects.toThrow('worker lost');
  expect(await refundRow(refundId)).toMatchObject({ status: 'pending', amount: 500 });
  // The provider's notification comes anyway and starts the confirmation with itself as the signal.
  await waitUntil(
    () => refundRow(refundId),
    (r) => r.status === 'succeeded',
  );
  expect(await stack.client.workflow.getHandle(refundWorkflowId(refundId)).result()).toMatchObject({
    status: 'succeeded',
    requests: 0,
  });
  // Temporal retries the activity: the decision is confirmed, nothing is requested or started again.
  const activities = createActivities({
    db: stack.db,
    providers: stack.providers,
    temporal: { client: stack.client, taskQueue: stack.taskQueue },
  });
  expect(await activities.refundPayment(request)).toMatchObject({ status: 'succeeded' });
  expect((await refundRecords(order.id)).map((r) => [r.idempotencyKey, r.status, r.amount])).toEqual([
    [refundId, 'succeeded', 500],
  ]);
  expect((await stack.db.payment.findUniqueOrThrow({ where: { id: order.paymentId } })).refundedAmount).toBe(500);
});

test('refundPayment retried while the refund awaits its notification: the same refund is asked again, its confirmation is not started twice', async () => {
  const order = await paidWalletOrder('wechat_pay', 600, { dropNotifications: 2 });
  await cancel(order.id);
  const request = {
    orderId: order.id,
    paymentId: order.paymentId,
    idempotencyKey: order.refundId,
    amount: order.total,
    reason: 'changed my mind',
  };
  const activities = createActivities({
    db: stack.db,
    providers: stack.providers,
    temporal: { client: stack.client, taskQueue: stack.taskQueue },
  });
  // As Temporal would retry it: the workflow is running, so starting it again is a no-op; the provider's second notification is lost too.
  expect(await activities.refundPayment(request)).toMatchObject({ status: 'pending' });
  await stack.providers.wallets.wechat_pay.notificationsSettled();
  expect(await refundRow(order.refundId)).toMatchObject({ status: 'pending' });
  // A third request: its notification gets through and confirms the refund.
  expect(await activities.refundPayment(request)).toMatchObject({ status: 'pending' });
  await waitUntil(
    () => refundRow(order.refundId),
    (r) => r.status === 'succeeded',
  );
  expect(await stack.client.workflow.getHandle(refundWorkflowId(order.refundId)).result()).toMatchObject({
    status: 'succeeded',
    requests: 0,
  });
  expect(await refundRecords(order.id)).toEqual([
    expect.objectContaining({ idempotencyKey: order.refundId, status: 'succeeded', amount: order.total }),
  ]);
  expect((await stack.db.payment.findUniqueOrThrow({ where: { id: order.paymentId } })).refundedAmount).toBe(
    order.total,
  );
});
