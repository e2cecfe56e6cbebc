import { z } from 'zod';
import { afterSalesReasons, afterSalesTypes, compensationKinds, type InspectionBody } from './after-sales';

const afterSalesLineSchema = z.object({
  sku: z.string().trim().min(1).max(64),
  quantity: z.number().int().min(1).max(99),
});

/** POST /v1/orders/{id}/after-sales body. */
export const afterSalesRequestSchema = z
  .object({
    type: z.enum(afterSalesTypes),
    lines: z.array(afterSalesLineSchema).max(50).default([]),
    reason: z.enum(afterSalesReasons),
    description: z.string().trim().max(1000).optional(),
    /** Photos and videos the customer links: web addresses only (no javascript:, data:, file: ...). */
    evidenceUrls: z
      .array(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(500))
      .max(10)
      .default([]),
    /** For `compensation` only: a partial refund, a coupon (minor units) or points. */
    compensation: z
      .object({ kind: z.enum(compensationKinds), amount: z.number().int().min(1).max(100_000_000) })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.type === 'compensation' && !r.compensation)
      ctx.addIssue({ code: 'custom', path: ['compensation'], message: 'is required for a compensation request' });
    if (r.type !== 'compensation' && r.compensation)
      ctx.addIssue({
        code: 'custom',
        path: ['compensation'],
        message: `is only for compensation requests, not ${r.type}`,
      });
    if (r.type !== 'compensation' && r.lines.length === 0)
      ctx.addIssue({ code: 'custom', path: ['lines'], message: `a ${r.type} needs at least one line` });
    const seen = new Set<string>();
    r.lines.forEach((l, i) => {
      if (seen.has(l.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'duplicate sku; merge the quantities' });
      seen.add(l.sku);
    });
  });
export type AfterSalesRequestBody = z.infer<typeof afterSalesRequestSchema>;

export const afterSalesDecisionSchema = z
  .object({ decision: z.enum(['approve', 'reject']), reason: z.string().trim().min(1).max(500).optional() })
  .refine((d) => d.decision === 'approve' || d.reason, { path: ['reason'], message: 'is required to reject' });
export type AfterSalesDecisionBody = z.infer<typeof afterSalesDecisionSchema>;

export const inspectionSchema = z.object({
  lines: z
    .array(
      z.object({
        sku: z.string().trim().min(1).max(64),
        condition: z.enum(['ok', 'damaged']),
        note: z.string().max(500).optional(),
      }),
    )
    .min(1)
    .max(50),
  refundAmount: z.number().int().min(0).max(100_000_000).optional(),
}) satisfies z.ZodType<InspectionBody>;
