import { defaultRefund } from '../../domain/after-sales';
import { businessKey } from '../../domain/payments';
import { db, providers } from '../activities';
import { total, unitsOf, type AfterSalesRun, type Refunds } from './run';

/**
 * Refunds up to `amount` to the order's payments (original method; COD payments become a recorded
 * bank transfer, docs/payments.md). Each refund is first a decision row under a row lock
 * (refundPayment), so requests running at once never refund more than was captured; one that lost a
 * race re-reads and retries. `stepName` keeps the keys of several refunds of one request apart (an
 * exchange's shortage).
 */
export async function refund(run: AfterSalesRun, amount: number, why: string, stepName = 'refund'): Promise<Refunds> {
  const { orderId, requestId } = run;
  const done: Refunds = [];
  let left = amount;
  for (let attempt = 1; left > 0 && attempt <= 3; attempt++) {
    const payments = (await db.refundablePayments({ orderId })).filter((p) => p.refundable > 0);
    if (payments.length === 0) break;
    for (const p of payments) {
      const take = Math.min(left, p.refundable);
      if (take <= 0) continue;
      const key = businessKey(orderId, `after-sales-${requestId}-${stepName}-${p.paymentId}`, attempt);
      const result = await providers.refundPayment({
        orderId,
        paymentId: p.paymentId,
        idempotencyKey: key,
        amount: take,
        reason: why,
      });
      if (!result) continue;
      left -= take;
      done.push({ paymentId: p.paymentId, amount: take, method: p.method });
    }
  }
  return done;
}

/** A return: the inspected amount (or the goods' value) is refunded, the units come back for good. */
export async function refundReturn(run: AfterSalesRun) {
  const { state, requestId } = run;
  const amount = state.inspection!.refundAmount ?? defaultRefund(state.lines);
  const refunds = amount > 0 ? await refund(run, amount, `after-sales ${requestId}: return`) : [];
  await run.resolve(
    { outcome: 'refunded', refunded: total(refunds), refunds },
    { type: 'after_sales.refunded', actor: 'system', detail: { amount: total(refunds) } },
    unitsOf(state.lines),
    unitsOf(state.lines),
  );
}
