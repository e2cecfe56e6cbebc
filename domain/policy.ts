/**
 * Every window and SLA of the lifecycle, in seconds. Defaults are docs/product.md's; a merchant's policy
 * overrides them, and an order's `policy` overrides the merchant's (tests use seconds). A plain type:
 * workflows carry it in their state; its validation (limits per field) is policy.schema.ts.
 */
export interface Policy {
  paymentWindowSeconds: number;
  merchantSlaSeconds: number;
  autoConfirmSeconds: number;
  receiptExtensionSeconds: number;
  returnWindowSeconds: number;
  /** After-sales (docs/after-sales.md): merchant decision SLA, the customer's time to ship goods back, inspection SLA. */
  afterSalesDecisionSeconds: number;
  returnShipSeconds: number;
  inspectionSeconds: number;
  /** Auto-approval: no-reason returns (七天无理由), and requests worth at most this amount (minor units). */
  afterSalesAutoApproveNoReason: boolean;
  afterSalesAutoApproveAmount: number;
  autoAccept: boolean;
  /** Orders above this total (minor units) are rejected by risk control. */
  riskAmountLimit: number;
  /** At most this many orders per customer within riskVelocityWindowSeconds. */
  riskVelocityLimit: number;
  riskVelocityWindowSeconds: number;
  /** How long the customer has to answer a stock shortage, and what happens when they don't. */
  stockDecisionSeconds: number;
  stockDecisionDefault: 'cancel' | 'partial' | 'wait_for_restock';
  /** A backordered order re-checks the queue this often even if no restock signal reached it. */
  backorderRecheckSeconds: number;
  /** When the merchant lets the SLA pass: the order is flagged for support and then cancelled, or left waiting. */
  merchantSlaAction: 'cancel' | 'flag';
  /** Book couriers as soon as the merchant accepts; otherwise the merchant ships (POST /v1/orders/{id}/shipments). */
  autoShip: boolean;
  /** Couriers in order of preference: a booking that keeps failing falls back to the next one. */
  couriers: string[];
  /** Failed delivery attempts before the parcel goes back to the sender. */
  deliveryAttempts: number;
  /** Per-phone and per-address velocity within riskVelocityWindowSeconds (absent: rule off). */
  riskPhoneVelocityLimit?: number;
  riskAddressVelocityLimit?: number;
  /** Orders above this total wait for a support review. */
  riskReviewAmount: number;
  /** An account younger than riskNewAccountSeconds ordering above riskNewAccountAmount must verify (step-up). */
  riskNewAccountAmount: number;
  riskNewAccountSeconds: number;
  /** How long support has to review, and what happens when nobody does. */
  riskReviewSlaSeconds: number;
  riskReviewExpiryAction: 'approve' | 'reject';
  /** How long the customer has to pass step-up verification; an unverified order is rejected. */
  riskVerificationWindowSeconds: number;
  /**
   * A wallet refund (WeChat Pay, Alipay) waits this long for the provider's refund.succeeded /
   * refund.failed notification before it is requested again under the same idempotency key (which
   * makes the provider send it again). A merchant's, like its provider contracts.
   */
  refundConfirmSeconds: number;
  /**
   * Replenishment (docs/analytics.md, stock cover): the supplier's lead time, the safety stock and the
   * review period in days of sales, and the window over which sales velocity is measured.
   */
  replenishLeadTimeDays: number;
  replenishSafetyStockDays: number;
  replenishReviewDays: number;
  replenishVelocityWindowDays: number;
}

/** A merchant may override any policy value. */
export type PolicyOverrides = Partial<Policy>;

/**
 * An order may override its windows and SLAs only (docs/decisions/015-policy-overrides.md): risk limits and auto-acceptance are the
 * merchant's, never something a caller can lift for its own order.
 */
export const orderPolicyKeys = [
  'paymentWindowSeconds',
  'merchantSlaSeconds',
  'autoConfirmSeconds',
  'receiptExtensionSeconds',
  'returnWindowSeconds',
  'stockDecisionSeconds',
  'riskReviewSlaSeconds',
  'riskVerificationWindowSeconds',
  'afterSalesDecisionSeconds',
  'returnShipSeconds',
  'inspectionSeconds',
] as const satisfies readonly (keyof Policy)[];
export type OrderPolicyOverrides = Partial<Pick<Policy, (typeof orderPolicyKeys)[number]>>;

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
