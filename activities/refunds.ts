import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { RefundRequest } from '../adapters/types';
import { resolvePolicy, type PolicyOverrides } from '../domain';
import type { Payment, Refund } from '../prisma/generated/client';
import { REFUND_CONFIRMATION_WORKFLOW, refundConfirmationStart, type RefundConfirmationWorkflow } from '../contract';
import type { ActivityDeps } from './deps';

/** What refundPayment answers for a decision: done at once (card, cash on delivery), awaiting the provider's confirmation (wallets), or failed. */
export interface RefundOutcome {
  providerRef: string;
  status: 'succeeded' | 'pending' | 'failed';
  /** The decision lowered a card authorization before capture instead of moving money back. */
  released?: true;
}

type RefundStatus = 'pending' | 'succeeded' | 'failed';
type Wallet = 'wechat_pay' | 'alipay';
export const isWallet = (method: string): method is Wallet => method === 'wechat_pay' || method === 'alipay';

/** The provider request of a decision: exactly what was decided, under the decision's id as idempotency key. */
const walletRequest = (refund: Refund, payment: Payment): RefundRequest => ({
  idempotencyKey: refund.id,
  orderId: refund.orderId,
  paymentId: refund.paymentId,
  providerRef: payment.providerRef ?? payment.id,
  amount: refund.amount,
  currency: payment.currency,
});

/**
 * The wallet part of refundPayment (activities/payments.ts): the provider accepts the decided refund
 * (a retry asks again under the same key and gets the same refund), then the refund's confirmation
 * workflow starts, once — unless its notification came first and started it.
 */
export function walletRefunds({ db, providers, temporal }: ActivityDeps) {
  return async function requestWalletRefund(
    refundId: string,
    method: Wallet,
    req: RefundRequest,
  ): Promise<RefundOutcome> {
    if (!temporal)
      throw new Error(`refund ${refundId} needs a Temporal client to be confirmed (ActivityDeps.temporal)`);
    const answer = await providers.wallets[method].refund(req);
    await db.refund.updateMany({
      where: { id: refundId, providerRef: null },
      data: { providerRef: answer.providerRef },
    });
    try {
      await temporal.client.workflow.start<RefundConfirmationWorkflow>(
        REFUND_CONFIRMATION_WORKFLOW,
        refundConfirmationStart(refundId, temporal.taskQueue),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { providerRef: answer.providerRef, status: 'pending' };
  };
}

/**
 * Refunds confirmed asynchronously (issue 4). A wallet accepts a refund and notifies its outcome
 * later (refund.succeeded / refund.failed on the payment webhook); the refund row stays `pending`
 * until then, and a `refund-<refundId>` workflow (workflows/refund.ts) waits for the notification,
 * requesting the refund again under the same key when it does not come.
 */
export function createRefundActivities({ db, providers }: ActivityDeps) {
  return {
    /** What the confirmation workflow needs: the decision's status and amount, and the merchant's window. */
    async refundToConfirm({
      refundId,
    }: {
      refundId: string;
    }): Promise<{ status: RefundStatus; amount: number; confirmSeconds: number }> {
      const refund = await db.refund.findUnique({
        where: { id: refundId },
        include: { order: { select: { merchant: { select: { policy: true } } } } },
      });
      if (!refund) throw ApplicationFailure.nonRetryable(`no refund ${refundId}`, 'UnknownRefund');
      const policy = resolvePolicy(refund.order.merchant.policy as PolicyOverrides);
      return {
        status: refund.status as RefundStatus,
        amount: refund.amount,
        confirmSeconds: policy.refundConfirmSeconds,
      };
    },

    /** No notification within the window: request the same refund again (same key), which makes the provider notify it again. */
    async requestRefundAgain({ refundId }: { refundId: string }): Promise<{ status: RefundStatus }> {
      const refund = await db.refund.findUnique({ where: { id: refundId }, include: { payment: true } });
      if (!refund) throw ApplicationFailure.nonRetryable(`no refund ${refundId}`, 'UnknownRefund');
      if (refund.status !== 'pending' || !isWallet(refund.payment.method))
        return { status: refund.status as RefundStatus };
      await providers.wallets[refund.payment.method].refund(walletRequest(refund, refund.payment));
      return { status: 'pending' };
    },

    /** The provider's outcome, once: pending → succeeded | failed. A failed refund keeps its decision (the money stays reserved) for support. */
    async confirmRefund(req: { refundId: string; status: 'succeeded' | 'failed' }): Promise<void> {
      await db.refund.updateMany({
        where: { id: req.refundId, status: 'pending' },
        data: { status: req.status, confirmedAt: new Date() },
      });
    },
  };
}
