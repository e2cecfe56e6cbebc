import type { AfterSalesResolution } from '../../domain/after-sales';
import { db } from '../activities';
import { refund } from './refund';
import { total, type AfterSalesRun } from './run';

/** A compensation without goods coming back: a refund, a coupon or points (docs/after-sales.md). */
export async function compensate(run: AfterSalesRun) {
  const { input, orderId, requestId } = run;
  await run.step('resolving', {
    type: 'after_sales.approved',
    actor: run.state.decision!.actor,
    detail: { reason: run.state.decision!.reason },
  });
  const c = input.compensation!;
  const resolution: AfterSalesResolution = { outcome: 'compensated', refunded: 0, refunds: [] };
  if (c.kind === 'refund') {
    resolution.refunds = await refund(run, c.amount, `after-sales ${requestId}: compensation`);
    resolution.refunded = total(resolution.refunds);
  } else if (c.kind === 'coupon') {
    const { code } = await db.issueCoupon({
      requestId,
      customerId: input.customerId,
      orderId,
      amount: c.amount,
      currency: input.currency,
    });
    resolution.coupon = { code, amount: c.amount, currency: input.currency };
  } else {
    await db.recordPoints({
      id: `${orderId}:after-sales-${requestId}:points`,
      customerId: input.customerId,
      orderId,
      delta: c.amount,
      reason: `after-sales ${requestId}: compensation`,
    });
    resolution.points = c.amount;
  }
  await run.resolve(
    resolution,
    {
      type: 'after_sales.compensated',
      actor: 'system',
      detail: { kind: c.kind, amount: c.amount, refunded: resolution.refunded, coupon: resolution.coupon?.code },
    },
    [],
    [],
  );
}
