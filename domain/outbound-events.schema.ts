import { z } from 'zod';
import { SECRET_OVERLAP_MAX_SECONDS } from './outbound-events';

/**
 * What a webhook subscription asks for (docs/notifications.md, "Outbound events"): `*` (every event),
 * a family such as `payment.*`, or one type such as `shipment.delivered`. Types are the order
 * timeline's (`order.*`, `payment.*`, `shipment.*`, `after_sales.*`, ...), an open set as the
 * engine grows, so patterns are checked for shape, not against a list.
 */
export const eventTypePattern = z
  .string()
  .max(100)
  .regex(
    /^(\*|[a-z][a-z_]*\.\*|[a-z][a-z_]*(\.[a-z][a-z_]*)+)$/,
    'must be *, <family>.* or a type like payment.captured',
  );

/** A rotation's overlap (SECRET_OVERLAP_* in outbound-events.ts). */
export const secretOverlapSeconds = z.number().int().min(0).max(SECRET_OVERLAP_MAX_SECONDS);
