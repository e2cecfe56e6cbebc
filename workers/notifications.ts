import type { Logger } from 'pino';
import type { Notifier, NotificationChannel } from '../adapters/types';
import type { Db } from '../store/db';

export interface DispatcherOptions {
  db: Db;
  notifiers: Record<NotificationChannel, Notifier>;
  log?: Pick<Logger, 'warn' | 'error'>;
  intervalMs?: number;
  batchSize?: number;
  /** A message that still fails after this many attempts is left `failed` for support to resend. */
  maxAttempts?: number;
}

const LEASE_MS = 60_000;

/**
 * Delivers the notification outbox. Rows are claimed with SKIP LOCKED and a lease, so several
 * dispatchers never send one row at once; each send carries the row id as idempotency key, so a
 * crash between sending and marking `sent` cannot send it twice.
 */
export function startNotificationDispatcher({
  db,
  notifiers,
  log,
  intervalMs = 250,
  batchSize = 20,
  maxAttempts = 8,
}: DispatcherOptions) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  /** One statement claims a batch: due rows, locked past other dispatchers, leased, counted. */
  function claim() {
    return db.$queryRaw<
      Array<{
        id: string;
        orderId: string | null;
        recipientType: string;
        recipientId: string;
        channel: string;
        kind: string;
        payload: unknown;
        attempts: number;
      }>
    >`
      UPDATE notifications SET next_attempt_at = now() + ${LEASE_MS} * interval '1 millisecond', attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)
      RETURNING id, order_id AS "orderId", recipient_type AS "recipientType", recipient_id AS "recipientId", channel, kind, payload, attempts`;
  }

  async function deliverDue(): Promise<number> {
    const rows = await claim();
    for (const row of rows) {
      try {
        const notifier = notifiers[row.channel as NotificationChannel];
        if (!notifier) throw new Error(`no notifier for channel ${row.channel}`);
        await notifier.send({
          idempotencyKey: row.id,
          recipientType: row.recipientType,
          recipientId: row.recipientId,
          kind: row.kind,
          orderId: row.orderId ?? undefined,
          payload: row.payload as Record<string, unknown>,
        });
        await db.notification.update({
          where: { id: row.id },
          data: { status: 'sent', sentAt: new Date(), lastError: null },
        });
      } catch (err) {
        const failed = row.attempts >= maxAttempts;
        const backoffMs = Math.min(300_000, 500 * 2 ** row.attempts);
        await db.notification.update({
          where: { id: row.id },
          data: {
            status: failed ? 'failed' : 'pending',
            lastError: (err as Error).message,
            nextAttemptAt: new Date(Date.now() + backoffMs),
          },
        });
        log?.warn(
          { notificationId: row.id, attempts: row.attempts, err: (err as Error).message },
          failed ? 'notification failed for good' : 'notification will be retried',
        );
      }
    }
    return rows.length;
  }

  const loop = () => {
    if (stopped) return;
    running = deliverDue()
      .catch((err) => log?.error({ err }, 'notification dispatcher pass failed'))
      .then(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();

  return {
    /** Stops after the pass in flight. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
