import { condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import type { RefundNotice } from '../domain/payments';
import { db, providers } from './activities';
import { refundNotified, type RefundConfirmation, type RefundConfirmationInput } from '../contract';

/** Requests made again per run before the workflow continues as new, so a long wait keeps a small history. */
const REQUESTS_PER_RUN = 100;

/**
 * One wallet refund until its provider confirms it (`refund-<refundId>`, issue 4): the refund decision
 * is already recorded (`pending`, reserved against the capture) and requested once; this waits for the
 * signed refund.succeeded / refund.failed notification (a signal from the payment webhook) and, each
 * time the merchant's `refundConfirmSeconds` pass without one, requests the refund again under the
 * same idempotency key — the provider then answers for the refund it has and notifies it again. The
 * outcome marks the refund row succeeded or failed (a failed one is flagged on the order for support).
 */
export async function refundConfirmationWorkflow(input: RefundConfirmationInput): Promise<RefundConfirmation> {
  const notices: RefundNotice[] = [];
  setHandler(refundNotified, (n) => void notices.push(n));
  const refund = await db.refundToConfirm({ refundId: input.refundId });
  let requests = input.requests ?? 0;
  if (refund.status !== 'pending') return { status: refund.status, requests };

  // The webhook already checked the notice against the decision; a wrong amount never confirms it.
  const confirmation = () => notices.find((n) => n.amount === refund.amount);
  while (!(await condition(() => confirmation() !== undefined, refund.confirmSeconds * 1000))) {
    const { status } = await providers.requestRefundAgain({ refundId: input.refundId });
    requests += 1;
    if (status !== 'pending') return { status: status === 'failed' ? 'failed' : 'succeeded', requests }; // settled elsewhere meanwhile
    if (requests % REQUESTS_PER_RUN === 0 || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof refundConfirmationWorkflow>({ refundId: input.refundId, requests });
  }
  const notice = confirmation()!;
  const status = notice.type === 'refund.succeeded' ? 'succeeded' : 'failed';
  await db.confirmRefund({ refundId: input.refundId, status });
  return { status, requests, eventId: notice.eventId };
}
