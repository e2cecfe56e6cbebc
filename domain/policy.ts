import { z } from 'zod';

/**
 * Every window and SLA of the lifecycle, in seconds. Defaults are docs/product.md's; a merchant's policy
 * overrides them, and an order's `policy` overrides the merchant's (tests use seconds).
 */
export const policySchema = z.object({
  paymentWindowSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  merchantSlaSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  autoConfirmSeconds: z
    .number()
    .int()
    .positive()
    .max(60 * 86400),
  receiptExtensionSeconds: z
    .number()
    .int()
    .positive()
    .max(60 * 86400),
  returnWindowSeconds: z
    .number()
    .int()
    .positive()
    .max(60 * 86400),
  /** After-sales (docs/after-sales.md): merchant decision SLA, the customer's time to ship goods back, inspection SLA. */
  afterSalesDecisionSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  returnShipSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  inspectionSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  /** Auto-approval: no-reason returns (七天无理由), and requests worth at most this amount (minor units). */
  afterSalesAutoApproveNoReason: z.boolean(),
  afterSalesAutoApproveAmount: z.number().int().min(0),
  autoAccept: z.boolean(),
  /** Orders above this total (minor units) are rejected by risk control. */
  riskAmountLimit: z.number().int().positive(),
  /** At most this many orders per customer within riskVelocityWindowSeconds. */
  riskVelocityLimit: z.number().int().positive(),
  riskVelocityWindowSeconds: z.number().int().positive(),
  /** How long the customer has to answer a stock shortage, and what happens when they don't. */
  stockDecisionSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  stockDecisionDefault: z.enum(['cancel', 'partial', 'wait_for_restock']),
  /** A backordered order re-checks the queue this often even if no restock signal reached it. */
  backorderRecheckSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  /** When the merchant lets the SLA pass: the order is flagged for support and then cancelled, or left waiting. */
  merchantSlaAction: z.enum(['cancel', 'flag']),
  /** Book couriers as soon as the merchant accepts; otherwise the merchant ships (POST /v1/orders/{id}/shipments). */
  autoShip: z.boolean(),
  /** Couriers in order of preference: a booking that keeps failing falls back to the next one. */
  couriers: z.array(z.string().min(1)).min(1),
  /** Failed delivery attempts before the parcel goes back to the sender. */
  deliveryAttempts: z.number().int().min(1).max(10),
  /** Per-phone and per-address velocity within riskVelocityWindowSeconds (absent: rule off). */
  riskPhoneVelocityLimit: z.number().int().positive().optional(),
  riskAddressVelocityLimit: z.number().int().positive().optional(),
  /** Orders above this total wait for a support review. */
  riskReviewAmount: z.number().int().positive(),
  /** An account younger than riskNewAccountSeconds ordering above riskNewAccountAmount must verify (step-up). */
  riskNewAccountAmount: z.number().int().positive(),
  riskNewAccountSeconds: z.number().int().positive(),
  /** How long support has to review, and what happens when nobody does. */
  riskReviewSlaSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  riskReviewExpiryAction: z.enum(['approve', 'reject']),
  /** How long the customer has to pass step-up verification; an unverified order is rejected. */
  riskVerificationWindowSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  /**
   * A wallet refund (WeChat Pay, Alipay) waits this long for the provider's refund.succeeded /
   * refund.failed notification before it is requested again under the same idempotency key (which
   * makes the provider send it again). A merchant's, like its provider contracts.
   */
  refundConfirmSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  /**
   * Replenishment (docs/analytics.md, stock cover): the supplier's lead time, the safety stock and the
   * review period in days of sales, and the window over which sales velocity is measured.
   */
  replenishLeadTimeDays: z.number().int().min(0).max(365),
  replenishSafetyStockDays: z.number().int().min(0).max(365),
  replenishReviewDays: z.number().int().min(0).max(365),
  replenishVelocityWindowDays: z.number().int().min(1).max(365),
});

export type Policy = z.infer<typeof policySchema>;
/** A merchant may override any policy value. */
export const policyOverridesSchema = policySchema.partial().strict();
export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;

/**
 * An order may override its windows and SLAs only (docs/decisions/015-policy-overrides.md): risk limits and auto-acceptance are the
 * merchant's, never something a caller can lift for its own order.
 */
export const orderPolicyOverridesSchema = policySchema
  .pick({
    paymentWindowSeconds: true,
    merchantSlaSeconds: true,
    autoConfirmSeconds: true,
    receiptExtensionSeconds: true,
    returnWindowSeconds: true,
    stockDecisionSeconds: true,
    riskReviewSlaSeconds: true,
    riskVerificationWindowSeconds: true,
    afterSalesDecisionSeconds: true,
    returnShipSeconds: true,
    inspectionSeconds: true,
  })
  .partial()
  .strict();

export type OrderPolicyOverrides = z.infer<typeof orderPolicyOverridesSchema>;

const DAY = 86400;
export const DEFAULT_POLICY: Policy = {
  paymentWindowSeconds: 30 * 60,
  merchantSlaSeconds: DAY,
  autoConfirmSeconds: 7 * DAY,
  receiptExtensionSeconds: 7 * DAY,
  returnWindowSeconds: 7 * DAY,
  afterSalesDecisionSeconds: 2 * DAY,
  returnShipSeconds: 7 * DAY,
  inspectionSeconds: 3 * DAY,
  afterSalesAutoApproveNoReason: true,
  afterSalesAutoApproveAmount: 5000, // 50.00 CNY
  autoAccept: true,
  riskAmountLimit: 5_000_000, // 50,000.00 CNY
  riskVelocityLimit: 20,
  riskVelocityWindowSeconds: 3600,
  stockDecisionSeconds: 2 * DAY,
  stockDecisionDefault: 'cancel',
  backorderRecheckSeconds: 3600,
  merchantSlaAction: 'cancel',
  autoShip: true,
  couriers: ['sf-express', 'yto'],
  deliveryAttempts: 3,
  riskReviewAmount: 2_000_000, // 20,000.00 CNY
  riskNewAccountAmount: 500_000, // 5,000.00 CNY
  riskNewAccountSeconds: 7 * DAY,
  riskReviewSlaSeconds: 4 * 3600,
  riskReviewExpiryAction: 'reject',
  riskVerificationWindowSeconds: 15 * 60,
  refundConfirmSeconds: 30 * 60,
  replenishLeadTimeDays: 7,
  replenishSafetyStockDays: 3,
  replenishReviewDays: 7,
  replenishVelocityWindowDays: 28,
};

export function resolvePolicy(...overrides: Array<PolicyOverrides | undefined>): Policy {
  return Object.assign({}, DEFAULT_POLICY, ...overrides.filter(Boolean)) as Policy;
}

/**
 * An order's policy: defaults < merchant < the order's window overrides. Where an unanswered review
 * approves, the order may not shorten its review window, or a caller could wait out its own review.
 */
export function resolveOrderPolicy(
  merchant: PolicyOverrides | undefined,
  order: OrderPolicyOverrides | undefined,
): Policy {
  const merchantPolicy = resolvePolicy(merchant);
  const policy = resolvePolicy(merchant, order);
  if (policy.riskReviewExpiryAction === 'approve')
    policy.riskReviewSlaSeconds = Math.max(policy.riskReviewSlaSeconds, merchantPolicy.riskReviewSlaSeconds);
  return policy;
}
