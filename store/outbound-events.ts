import { allowedActions, type OrderState, type TimelineEntry } from '../domain';
import type { Prisma } from '../prisma/generated/client';

/** The stable id of an order's n-th event: the `webhook-id` every delivery and redelivery carries. */
export const outboundEventId = (orderId: string, seq: number) => `evt_${orderId}_${seq}`;

/**
 * The body platforms receive (docs/notifications.md, "Outbound events"), in the Standard Webhooks
 * shape `{type, timestamp, data}`. It carries the order's state as of this event and what it admits
 * now, so a receiver needs no read of its own.
 */
export function outboundPayload(state: OrderState, entry: TimelineEntry) {
  return {
    type: entry.type,
    timestamp: entry.at,
    data: {
      eventId: outboundEventId(state.orderId, state.version),
      orderId: state.orderId,
      merchantId: state.merchantId,
      sequence: state.version,
      occurredAt: entry.at,
      actor: entry.actor,
      detail: entry.detail ?? {},
      order: state,
      allowedActions: allowedActions(state),
    },
  };
}

/**
 * domain's matchesEventType in SQL, over a text[] of patterns and a type (fan-out matches in its one
 * statement); test/api/outbound-events.test.ts keeps the two equal.
 */
export const eventTypeMatchesSql = (patterns: string, type: string) =>
  `EXISTS (SELECT 1 FROM unnest(${patterns}) p
           WHERE p = '*' OR p = ${type} OR (p LIKE '%.*' AND starts_with(${type}, left(p, -1))))`;

/**
 * Brings a subscription's waiting deliveries in line with its `enabled` flag (all subscriptions without
 * an id): a disabled one's `pending` deliveries become `parked`, outside the dispatcher's claim, which
 * would otherwise scan past them on every pass for as long as it stays off; an enabled one's `parked`
 * deliveries are due again at once, in their order. One statement reading the flag itself, so calling
 * it again after any change of `enabled` (or after a crash between the two) converges.
 */
export async function alignDeliveries(
  conn: Pick<Prisma.TransactionClient, '$executeRaw'>,
  subscriptionId?: string,
): Promise<number> {
  return conn.$executeRaw`
    UPDATE webhook_deliveries d
    SET status = CASE WHEN s.enabled THEN 'pending' ELSE 'parked' END,
        next_attempt_at = CASE WHEN s.enabled THEN now() ELSE d.next_attempt_at END, updated_at = now()
    FROM webhook_subscriptions s
    WHERE s.id = d.subscription_id AND (${subscriptionId ?? null}::text IS NULL OR s.id = ${subscriptionId ?? null})
      AND d.status = CASE WHEN s.enabled THEN 'parked' ELSE 'pending' END`;
}
