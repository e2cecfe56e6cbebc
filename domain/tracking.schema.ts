import { z } from 'zod';
import { trackingEventTypes } from './tracking';

/** POST /v1/webhooks/logistics body: one courier tracking event. */
export const logisticsWebhookSchema = z.object({
  eventId: z.string().min(1).max(100),
  trackingNumber: z.string().min(1).max(64),
  type: z.enum(trackingEventTypes),
  location: z.string().max(200).optional(),
  signedBy: z.string().max(100).optional(),
  codCollected: z.object({ amount: z.number().int().min(0), currency: z.string().length(3) }).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type LogisticsWebhook = z.infer<typeof logisticsWebhookSchema>;
