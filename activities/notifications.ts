import type { NotificationChannel } from '../adapters/types';
import type { ActivityDeps } from './deps';

/** One message to queue; `id` is its business key (e.g. `<orderId>:merchant.new_order`). */
export interface OutboxMessage {
  id: string;
  orderId?: string;
  recipientType: 'merchant' | 'customer';
  recipientId: string;
  channel: NotificationChannel;
  kind: string;
  payload?: Record<string, unknown>;
}

export function createNotificationActivities({ db }: ActivityDeps) {
  return {
    /** Queues a message in the outbox; a retried or replayed step queues nothing twice (docs/fulfilment.md, notification outbox). */
    async notify(msg: OutboxMessage): Promise<void> {
      await db.notification.createMany({
        data: [{ ...msg, payload: (msg.payload ?? {}) as object }],
        skipDuplicates: true,
      });
    },
  };
}
