import { z } from 'zod';
import { paymentEventTypes } from './payments';

/** POST /v1/webhooks/payments body: one payment provider notification. */
export const paymentWebhookSchema = z
  .object({
    eventId: z.string().min(1).max(100),
    type: z.enum(paymentEventTypes),
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
