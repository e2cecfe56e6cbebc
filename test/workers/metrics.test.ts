// The worker's business gauges, read from the run's real database at scrape time.
import { randomUUID } from 'node:crypto';
import type { OrderState } from '../../domain';
import { businessRegistry } from '../../workers/metrics';
import { orderBody, submitOrder, useStack } from '../helpers/stack';

// No worker: the orders stay as planted. Thresholds of ten years make the planted rows, twenty
// years old, the only stuck ones this gauge can see in the run's shared database.
const stack = useStack({ worker: false });
const TEN_YEARS = 10 * 365 * 24 * 3600;
const thresholds = {
  STUCK_WAIT_GRACE_SECONDS: TEN_YEARS,
  STUCK_TRACKING_SILENCE_SECONDS: TEN_YEARS,
  STUCK_REFUND_SECONDS: TEN_YEARS,
};
const longAgo = new Date(Date.now() - 2 * TEN_YEARS * 1000);

const stuckGauge = async () => {
  const text = await businessRegistry(stack.db, thresholds).metrics();
  return Object.fromEntries(
    [...text.matchAll(/^orders_stuck\{kind="(\w+)"\} (\d+)$/gm)].map(([, kind, n]) => [kind, Number(n)]),
  );
};

/** An accepted order whose merchant decision was due long ago: its timer never fired. */
async function overdueOrder(): Promise<string> {
  const { body } = await submitOrder(stack.app, orderBody());
  const row = await stack.db.order.findUniqueOrThrow({ where: { id: body.id } });
  const pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until: longAgo.toISOString() };
  const snapshot = { ...(row.snapshot as unknown as OrderState), status: 'awaiting_merchant', pendingDecision };
  await stack.db.order.update({
    where: { id: body.id },
    data: { status: 'awaiting_merchant', snapshot: snapshot as unknown as object },
  });
  return body.id;
}

test('orders_stuck counts each stuck order once per kind, from the records alone', async () => {
  expect(await stuckGauge()).toEqual({ wait_overdue: 0, tracking_silent: 0, refund_unconfirmed: 0 });

  const first = await overdueOrder();
  await overdueOrder();
  // Two refunds of one order its provider never confirmed: one stuck order.
  const paymentId = `pay_${randomUUID()}`;
  await stack.db.payment.create({
    data: { id: paymentId, orderId: first, method: 'alipay', status: 'captured', amount: 100, currency: 'CNY' },
  });
  for (const n of [1, 2])
    await stack.db.refund.create({
      data: {
        id: `${paymentId}-r${n}`,
        orderId: first,
        paymentId,
        amount: 10,
        reason: 'test',
        status: 'pending',
        createdAt: longAgo,
      },
    });

  expect(await stuckGauge()).toEqual({ wait_overdue: 2, tracking_silent: 0, refund_unconfirmed: 1 });
});
