// Reconciliation (issue 4): the scheduled job compares the providers' books (simulator_records) with
// ours and reports every difference to support. Differences are planted on both sides; consistent
// orders (including one with a refund) must not be reported.
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../activities';
import { ensureReconciliationSchedule } from '../../workers/schedules';
import { expectOk, send } from '../api/api-helpers';
import { KEYS, orderBody, postTracking, submitOrder, useStack, waitForOrder } from '../helpers/stack';

const stack = useStack();

/** A card order handed to the courier: its authorization captured. */
async function paidCardOrder() {
  const { body } = await submitOrder(stack.app, orderBody());
  const booked = await waitForOrder(stack.app, body.id, (o) => o.shipments[0]?.status === 'booked');
  const { courier, trackingNumber } = booked.shipments[0];
  await postTracking(stack.app, courier, { trackingNumber, type: 'picked_up' });
  const order = await waitForOrder(stack.app, body.id, (o) => o.payments[0].status === 'captured');
  return {
    id: body.id as string,
    paymentId: order.payments[0].paymentId as string,
    total: body.totals.total as number,
  };
}

test('a scheduled run reports planted differences of every kind, and nothing for consistent orders', async () => {
  const { db } = stack;
  const clean = await paidCardOrder();
  const refunded = await paidCardOrder();
  const activities = createActivities({ db, providers: stack.providers });
  expect(
    await activities.refundPayment({
      orderId: refunded.id,
      paymentId: refunded.paymentId,
      idempotencyKey: `${refunded.id}:refund-test:1`,
      amount: 100,
      reason: 'partial',
    }),
  ).toMatchObject({ status: 'succeeded' });

  const mismatched = await paidCardOrder();
  const tag = randomUUID().slice(0, 8);
  const planted = {
    // The provider captured a payment we never recorded.
    missingCapture: `pay-ghost-${tag}`,
    // We recorded a capture the provider has no trace of.
    unknownCapture: `pay-phantom-${tag}`,
    unknownRefund: `${clean.id}:refund-ghost-${tag}`,
    missingRefund: `${clean.id}:refund-lost-${tag}`,
  };
  await db.simulatorRecord.create({
    data: {
      provider: 'card',
      idempotencyKey: `ghost-${tag}`,
      kind: 'charge',
      reference: `ch_ghost_${tag}`,
      orderId: clean.id,
      amount: 4200,
      status: 'captured',
      response: { providerRef: `ch_ghost_${tag}`, status: 'captured', paymentId: planted.missingCapture },
    },
  });
  await db.payment.create({
    data: {
      id: planted.unknownCapture,
      orderId: clean.id,
      method: 'card',
      status: 'captured',
      amount: 700,
      capturedAmount: 700,
      currency: 'CNY',
    },
  });
  await db.$executeRaw`UPDATE simulator_records SET response = jsonb_set(response, '{capturedAmount}', to_jsonb(${mismatched.total + 1}::int)) WHERE order_id = ${mismatched.id} AND kind = 'authorization'`;
  await db.simulatorRecord.create({
    data: {
      provider: 'card',
      idempotencyKey: planted.unknownRefund,
      kind: 'refund',
      reference: `re_ghost_${tag}`,
      orderId: clean.id,
      amount: 300,
      status: 'succeeded',
      response: { providerRef: `re_ghost_${tag}`, status: 'succeeded' },
    },
  });
  await db.refund.create({
    data: {
      id: planted.missingRefund,
      orderId: clean.id,
      paymentId: clean.paymentId,
      amount: 200,
      reason: 'planted',
      status: 'succeeded',
    },
  });

  // The schedule, run now (its own id so test runs never share one).
  const scheduleId = `reconciliation-test-${tag}`;
  await ensureReconciliationSchedule(stack.client, {
    taskQueue: stack.taskQueue,
    intervalSeconds: 3600,
    settleSeconds: 0,
    scheduleId,
  });
  const schedule = stack.client.schedule.getHandle(scheduleId);
  try {
    await schedule.trigger();
    const run = await waitForRun(scheduleId);
    const found = run.differences;
    const pick = (kind: string, key: 'paymentId' | 'refundId', id: string) =>
      found.filter((d: any) => d.kind === kind && d[key] === id);
    expect(pick('missing_capture', 'paymentId', planted.missingCapture)).toEqual([
      expect.objectContaining({
        provider: 'card',
        orderId: clean.id,
        ours: null,
        theirs: 4200,
        reference: `ch_ghost_${tag}`,
      }),
    ]);
    expect(pick('unknown_capture', 'paymentId', planted.unknownCapture)).toEqual([
      expect.objectContaining({ orderId: clean.id, ours: 700, theirs: null }),
    ]);
    expect(pick('amount_mismatch', 'paymentId', mismatched.paymentId)).toEqual([
      expect.objectContaining({ ours: mismatched.total, theirs: mismatched.total + 1 }),
    ]);
    expect(pick('unknown_refund', 'refundId', planted.unknownRefund)).toEqual([
      expect.objectContaining({ ours: null, theirs: 300 }),
    ]);
    expect(pick('missing_refund', 'refundId', planted.missingRefund)).toEqual([
      expect.objectContaining({ ours: 200, theirs: null, paymentId: clean.paymentId }),
    ]);
    // The consistent parts are not reported: the clean order's own payment, the refunded order entirely.
    expect(found.filter((d: any) => d.paymentId === clean.paymentId && d.refundId === null)).toEqual([]);
    expect(found.filter((d: any) => d.orderId === refunded.id)).toEqual([]);
    expect(run.checked.captures).toBeGreaterThanOrEqual(4);
    expect(run.checked.refunds).toBeGreaterThanOrEqual(3);
  } finally {
    await schedule.delete();
  }
});

test('a retried run reports once', async () => {
  const { reconcilePayments } = createActivities({ db: stack.db, providers: stack.providers });
  const runId = `reconciliation-retry-${randomUUID().slice(0, 8)}`;
  const window = { runId, from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString() };
  const first = await reconcilePayments(window);
  expect(await reconcilePayments(window)).toEqual(first);
  expect(await stack.db.reconciliationRun.count({ where: { id: runId } })).toBe(1);
  expect(await stack.db.reconciliationDifference.count({ where: { runId } })).toBe(first.differences);
});

test('the schedule is created once and updated in place', async () => {
  const scheduleId = `reconciliation-idem-${randomUUID().slice(0, 8)}`;
  await ensureReconciliationSchedule(stack.client, {
    taskQueue: stack.taskQueue,
    intervalSeconds: 3600,
    settleSeconds: 300,
    scheduleId,
  });
  await ensureReconciliationSchedule(stack.client, {
    taskQueue: stack.taskQueue,
    intervalSeconds: 600,
    settleSeconds: 300,
    scheduleId,
  });
  const handle = stack.client.schedule.getHandle(scheduleId);
  try {
    const description = await handle.describe();
    expect(description.spec.intervals?.[0].every).toBe(600_000);
    expect(description.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'reconciliationWorkflow',
      taskQueue: stack.taskQueue,
    });
  } finally {
    await handle.delete();
  }
});

/** Polls GET /v1/ops/reconciliation (as support) until the schedule's run is there. */
async function waitForRun(scheduleId: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { items } = expectOk(await send(stack.app, 'GET', '/v1/ops/reconciliation?limit=100', KEYS.support));
    // Scheduled runs get the action's workflow id plus the scheduled time.
    const run = items.find(
      (r: any) =>
        r.runId.startsWith('reconciliation-run') &&
        r.window.to &&
        r.checked &&
        r.differences.some((d: any) => d.reference?.includes(scheduleId.slice(-8))),
    );
    if (run) return run;
    if (Date.now() > deadline)
      throw new Error(`no reconciliation run found; latest: ${JSON.stringify(items.slice(0, 2))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('releases are not refunds: a partial release before the capture agrees with the gateway; a release it never made is a release_mismatch', async () => {
  const { db } = stack;
  // A support refund before the hand-over releases part of the authorization; the capture takes the rest.
  const { body } = await submitOrder(stack.app, orderBody());
  const booked = await waitForOrder(stack.app, body.id, (o) => o.shipments[0]?.status === 'booked');
  expectOk(
    await send(stack.app, 'POST', `/v1/ops/orders/${body.id}/refund`, KEYS.support, {
      reason: 'goodwill',
      amount: 700,
    }),
  );
  await postTracking(stack.app, booked.shipments[0].courier, {
    trackingNumber: booked.shipments[0].trackingNumber,
    type: 'picked_up',
  });
  const released = await waitForOrder(stack.app, body.id, (o) => o.payments[0].status === 'captured');
  expect(released.payments[0]).toMatchObject({ captured: body.totals.total - 700 });
  expect(await db.refund.findMany({ where: { orderId: body.id }, select: { kind: true, amount: true } })).toEqual([
    { kind: 'release', amount: 700 },
  ]);

  // A release row the gateway knows nothing of, on an order captured in full.
  const planted = await paidCardOrder();
  await db.refund.create({
    data: {
      id: `${planted.id}:release-planted`,
      orderId: planted.id,
      paymentId: planted.paymentId,
      kind: 'release',
      amount: 123,
      reason: 'planted',
      status: 'succeeded',
    },
  });

  const { reconcilePayments } = createActivities({ db, providers: stack.providers });
  const runId = `reconciliation-release-${randomUUID().slice(0, 8)}`;
  await reconcilePayments({
    runId,
    from: new Date(Date.now() - 600_000).toISOString(),
    to: new Date(Date.now() + 1000).toISOString(),
  });
  const found = await db.reconciliationDifference.findMany({
    where: { runId, orderId: { in: [body.id, planted.id] } },
  });
  expect(
    found.map(({ kind, orderId, paymentId, ours, theirs }) => ({ kind, orderId, paymentId, ours, theirs })),
  ).toEqual([{ kind: 'release_mismatch', orderId: planted.id, paymentId: planted.paymentId, ours: 123, theirs: 0 }]);
});
