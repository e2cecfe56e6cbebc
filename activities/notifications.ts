import type { NotificationChannel } from '../adapters/types';
import { DEFAULT_CURRENCY, formatAmount } from '../domain';
import { queueNotices } from '../store/notices';
import type { ActivityDeps } from './deps';

/** One message to queue; `id` is its business key (e.g. `<orderId>:merchant.new_order`). */
export interface OutboxMessage {
  id: string;
  orderId?: string;
  recipientType: 'merchant' | 'customer';
  recipientId: string;
  /** A merchant's channel; a customer's channels come from their preferences (docs/notifications.md). */
  channel: NotificationChannel;
  kind: string;
  payload?: Record<string, unknown>;
}

/** The template values of a workflow's payload: the order, and a total as the reader reads money. */
function varsOf(msg: OutboxMessage): Record<string, unknown> {
  const payload = msg.payload ?? {};
  const currency = typeof payload.currency === 'string' ? payload.currency : DEFAULT_CURRENCY;
  return {
    orderId: msg.orderId,
    ...payload,
    ...(typeof payload.total === 'number' ? { amount: formatAmount(payload.total, currency) } : {}),
  };
}

export function createNotificationActivities({ db }: ActivityDeps) {
  return {
    /**
     * Queues a message in the outbox; a retried or replayed step queues nothing twice (docs/notifications.md).
     * A customer's message goes to each channel of their preferences, as `<id>:<channel>`.
     */
    async notify(msg: OutboxMessage): Promise<void> {
      await queueNotices(db, [
        {
          key: msg.id,
          orderId: msg.orderId,
          recipientType: msg.recipientType,
          recipientId: msg.recipientId,
          channel: msg.channel,
          kind: msg.kind,
          vars: varsOf(msg),
        },
      ]);
    },
  };
}
