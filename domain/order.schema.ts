import { z } from 'zod';
import { MAX_LINE_QUANTITY, MAX_LINES, paymentMethods, type Address, type Customer } from './order';
import { orderPolicyOverridesSchema } from './policy.schema';

const text = (max: number) => z.string().trim().min(1).max(max);

export const customerSchema = z.object({
  id: text(64),
  name: text(100),
  phone: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'expected a phone number'),
  email: z.email().optional(),
}) satisfies z.ZodType<Customer>;

export const addressSchema = z.object({
  recipient: text(100),
  phone: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'expected a phone number'),
  province: text(50),
  city: text(50),
  district: text(50),
  line1: text(200),
  postalCode: z.string().regex(/^[0-9]{6}$/, 'expected a 6-digit postal code'),
}) satisfies z.ZodType<Address>;

export const orderLineRequestSchema = z.object({
  sku: text(64),
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
});

/** POST /v1/orders body. Client prices are not part of it: every line is priced from the catalog. */
export const submitOrderSchema = z
  .object({
    channel: text(40),
    customer: customerSchema,
    shippingAddress: addressSchema,
    lines: z.array(orderLineRequestSchema).min(1).max(MAX_LINES),
    paymentMethod: z.enum(paymentMethods),
    card: z.object({ token: text(100) }).optional(),
    couponCode: text(40).optional(),
    pointsToRedeem: z.number().int().min(0).max(100_000_000).optional(),
    /** The total a quote showed (POST /v1/quotes): a different price now is 409 price-changed. */
    expectedTotal: z.number().int().min(0).optional(),
    note: z.string().max(500).optional(),
    policy: orderPolicyOverridesSchema.optional(),
  })
  .superRefine((order, ctx) => {
    if (order.paymentMethod === 'card' && !order.card) {
      ctx.addIssue({ code: 'custom', path: ['card'], message: 'card.token is required for card payments' });
    }
    const seen = new Set<string>();
    order.lines.forEach((line, i) => {
      if (seen.has(line.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'duplicate sku; merge the quantities' });
      seen.add(line.sku);
    });
  });

export type SubmitOrderRequest = z.infer<typeof submitOrderSchema>;
