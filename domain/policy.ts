import { z } from 'zod';

/**
 * Every window and SLA of the lifecycle, in seconds. Defaults are SPEC §3's; a merchant's policy
 * overrides them, and an order's `policy` overrides the merchant's (tests use seconds).
 */
export const policySchema = z.object({
  paymentWindowSeconds: z.number().int().positive().max(7 * 86400),
  merchantSlaSeconds: z.number().int().positive().max(30 * 86400),
  autoConfirmSeconds: z.number().int().positive().max(60 * 86400),
  receiptExtensionSeconds: z.number().int().positive().max(60 * 86400),
  returnWindowSeconds: z.number().int().positive().max(60 * 86400),
  autoAccept: z.boolean(),
  /** Orders above this total (minor units) are rejected by risk control. */
  riskAmountLimit: z.number().int().positive(),
  /** At most this many orders per customer within riskVelocityWindowSeconds. */
  riskVelocityLimit: z.number().int().positive(),
  riskVelocityWindowSeconds: z.number().int().positive(),
});

export type Policy = z.infer<typeof policySchema>;
/** A merchant may override any policy value. */
export const policyOverridesSchema = policySchema.partial().strict();
export type PolicyOverrides = z.infer<typeof policyOverridesSchema>;

/**
 * An order may override its windows and SLAs only (SPEC §3): risk limits and auto-acceptance are the
 * merchant's, never something a caller can lift for its own order.
 */
export const orderPolicyOverridesSchema = policySchema
  .pick({ paymentWindowSeconds: true, merchantSlaSeconds: true, autoConfirmSeconds: true, receiptExtensionSeconds: true, returnWindowSeconds: true })
  .partial()
  .strict();

const DAY = 86400;
export const DEFAULT_POLICY: Policy = {
  paymentWindowSeconds: 30 * 60,
  merchantSlaSeconds: DAY,
  autoConfirmSeconds: 7 * DAY,
  receiptExtensionSeconds: 7 * DAY,
  returnWindowSeconds: 7 * DAY,
  autoAccept: true,
  riskAmountLimit: 5_000_000, // 50,000.00 CNY
  riskVelocityLimit: 20,
  riskVelocityWindowSeconds: 3600,
};

export function resolvePolicy(...overrides: Array<PolicyOverrides | undefined>): Policy {
  return Object.assign({}, DEFAULT_POLICY, ...overrides.filter(Boolean));
}
