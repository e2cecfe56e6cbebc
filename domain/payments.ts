import { z } from 'zod';

export const paymentProviders = ['wechat_pay', 'alipay', 'card'] as const;
export type PaymentProvider = (typeof paymentProviders)[number];

export const paymentWebhookSchema = z
  .object({
    eventId: z.string().min(1).max(100),
    type: z.enum(['payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed']),
    paymentId: z.string().min(1).max(100),
    orderId: z.string().min(1).max(100),
    /** Contract addition (docs/decisions/046-refund-notification-names-the-refund.md): which refund a refund.* event confirms — our idempotency key, as WeChat Pay's out_refund_no. */
    refundId: z.string().min(1).max(200).optional().meta({
      description:
        'required for refund.succeeded / refund.failed: the refund idempotency key the engine sent (out_refund_no)',
    }),
    amount: z.number().int().min(0),
    currency: z.string().length(3),
    occurredAt: z.iso.datetime({ offset: true }),
  })
  .superRefine((e, ctx) => {
    if (e.type.startsWith('refund.') && e.refundId === undefined)
      ctx.addIssue({ code: 'custom', path: ['refundId'], message: `is required for ${e.type}` });
  });
export type PaymentWebhook = z.infer<typeof paymentWebhookSchema>;

/** What a refund's confirmation workflow receives for one accepted refund.* notification. */
export interface RefundNotice {
  eventId: string;
  type: 'refund.succeeded' | 'refund.failed';
  amount: number;
  currency: string;
  occurredAt: string;
}

/** What the order workflow receives for one accepted payment notification. */
export interface PaymentSignal {
  eventId: string;
  type: PaymentWebhook['type'];
  paymentId: string;
  amount: number;
  currency: string;
}

/**
 * Idempotency key for one provider call, derived from the business step (docs/payments.md): the same step
 * retried by Temporal reuses it; a new business attempt (e.g. a second refund) gets a new one.
 */
export function businessKey(orderId: string, step: string, attempt = 1): string {
  return `${orderId}:${step}:${attempt}`;
}
