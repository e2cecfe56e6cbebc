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
 * Records the event of one timeline entry in the transaction that writes the entry, so an event
 * exists exactly when its entry does (the outbox); a retried projection adds nothing.
 */
export async function recordOutboundEvent(
  tx: Prisma.TransactionClient,
  state: OrderState,
  entry: TimelineEntry,
): Promise<void> {
  await tx.outboundEvent.createMany({
    data: [
      {
        id: outboundEventId(state.orderId, state.version),
        orderId: state.orderId,
        merchantId: state.merchantId,
        seq: state.version,
        type: entry.type,
        occurredAt: new Date(entry.at),
        payload: outboundPayload(state, entry) as unknown as Prisma.InputJsonValue,
      },
    ],
    skipDuplicates: true,
  });
}
