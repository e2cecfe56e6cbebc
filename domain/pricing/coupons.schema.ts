import { z } from 'zod';
import type { CouponTemplateBody } from './coupons';

/** POST /v1/coupon-templates body (meanings: CouponTemplateBody in coupons.ts). */
export const couponTemplateBodySchema = z.object({
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['amount', 'percent']),
  amount: z.number().int().min(1).optional(),
  percent: z.number().gt(0).optional(),
  maxOff: z.number().int().min(1).optional(),
  minSpend: z.number().int().min(0).default(0),
  skus: z.array(z.string().trim().min(1).max(64)).min(1).max(500).optional(),
  currency: z.string().length(3).default('CNY'),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
}) satisfies z.ZodType<CouponTemplateBody>;
