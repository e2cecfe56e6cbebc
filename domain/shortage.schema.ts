import { z } from 'zod';
import { MAX_LINES } from './order';
import { stockDecisions } from './shortage';

/** POST /v1/orders/{id}/stock-decision and POST /v1/after-sales/{id}/stock-decision body. */
export const stockDecisionSchema = z
  .object({
    decision: z.enum(stockDecisions),
    substitutions: z
      .array(z.object({ lineNo: z.number().int().min(1), sku: z.string().trim().min(1).max(64) }))
      .min(1)
      .max(MAX_LINES)
      .optional(),
  })
  .superRefine((d, ctx) => {
    if (d.decision === 'substitute' && !d.substitutions)
      ctx.addIssue({ code: 'custom', path: ['substitutions'], message: 'name a substitute SKU for every short line' });
    if (d.decision !== 'substitute' && d.substitutions)
      ctx.addIssue({ code: 'custom', path: ['substitutions'], message: 'only with decision "substitute"' });
  });
export type StockDecisionRequest = z.infer<typeof stockDecisionSchema>;
