import { z } from 'zod';
import { orderPolicyKeys, type OrderPolicyOverrides, type Policy, type PolicyOverrides } from './policy';

type OrderPolicyKey = (typeof orderPolicyKeys)[number];

/** The limits of every policy value (meanings: Policy in policy.ts); config and merchant overrides are parsed with it. */
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
  afterSalesAutoApproveNoReason: z.boolean(),
  afterSalesAutoApproveAmount: z.number().int().min(0),
  autoAccept: z.boolean(),
  riskAmountLimit: z.number().int().positive(),
  riskVelocityLimit: z.number().int().positive(),
  riskVelocityWindowSeconds: z.number().int().positive(),
  stockDecisionSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  stockDecisionDefault: z.enum(['cancel', 'partial', 'wait_for_restock']),
  backorderRecheckSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  merchantSlaAction: z.enum(['cancel', 'flag']),
  autoShip: z.boolean(),
  couriers: z.array(z.string().min(1)).min(1),
  deliveryAttempts: z.number().int().min(1).max(10),
  riskPhoneVelocityLimit: z.number().int().positive().optional(),
  riskAddressVelocityLimit: z.number().int().positive().optional(),
  riskReviewAmount: z.number().int().positive(),
  riskNewAccountAmount: z.number().int().positive(),
  riskNewAccountSeconds: z.number().int().positive(),
  riskReviewSlaSeconds: z
    .number()
    .int()
    .positive()
    .max(30 * 86400),
  riskReviewExpiryAction: z.enum(['approve', 'reject']),
  riskVerificationWindowSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  refundConfirmSeconds: z
    .number()
    .int()
    .positive()
    .max(7 * 86400),
  replenishLeadTimeDays: z.number().int().min(0).max(365),
  replenishSafetyStockDays: z.number().int().min(0).max(365),
  replenishReviewDays: z.number().int().min(0).max(365),
  replenishVelocityWindowDays: z.number().int().min(1).max(365),
}) satisfies z.ZodType<Policy>;

export const policyOverridesSchema = policySchema.partial().strict() satisfies z.ZodType<PolicyOverrides>;

/** An order's overrides: its windows and SLAs only (orderPolicyKeys). */
export const orderPolicyOverridesSchema = policySchema
  .pick(Object.fromEntries(orderPolicyKeys.map((key) => [key, true])) as Record<OrderPolicyKey, true>)
  .partial()
  .strict() satisfies z.ZodType<OrderPolicyOverrides>;
