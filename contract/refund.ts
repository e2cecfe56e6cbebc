import { defineSignal } from '@temporalio/workflow';
import type { RefundNotice } from '../domain/payments';
import { refundWorkflowId } from './ids';

// Refund confirmation (issue 4): one workflow per wallet refund, `refund-<refundId>`, waiting for the
// provider's refund.succeeded / refund.failed notification and requesting the refund again (same key)
// when none comes within the merchant's refundConfirmSeconds.
export const refundNotified = defineSignal<[RefundNotice]>('refundNotified');
export interface RefundConfirmationInput {
  refundId: string;
  /** Requests made again by earlier runs (the workflow continues as new now and then). */
  requests?: number;
}
/**
 * How both starters start it — the refundPayment activity after the first request, the payment
 * webhook with the notification (signalWithStart) if that comes first: once per refund, never again
 * after it ended (a late duplicate notification must not start a second confirmation).
 */
export function refundConfirmationStart(refundId: string, taskQueue: string) {
  return {
    workflowId: refundWorkflowId(refundId),
    taskQueue,
    args: [{ refundId }] as [RefundConfirmationInput],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
  };
}

export interface RefundConfirmation {
  status: 'succeeded' | 'failed';
  requests: number;
  eventId?: string;
}
/** The workflow's signature, so starters type-check their arguments without importing workflow code. */
export type RefundConfirmationWorkflow = (input: RefundConfirmationInput) => Promise<RefundConfirmation>;
export const REFUND_CONFIRMATION_WORKFLOW = 'refundConfirmationWorkflow';
