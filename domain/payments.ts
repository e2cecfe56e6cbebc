export const paymentProviders = ['wechat_pay', 'alipay', 'card'] as const;
export type PaymentProvider = (typeof paymentProviders)[number];

/** The notifications a payment provider sends (validated by payments.schema.ts). */
export const paymentEventTypes = ['payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed'] as const;
export type PaymentEventType = (typeof paymentEventTypes)[number];

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
  type: PaymentEventType;
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
