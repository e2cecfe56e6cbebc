import type { Logger } from 'pino';
import type { Notifier, NotificationChannel, NotificationMessage } from '../adapters/types';
import type { Notification } from '../prisma/generated/client';
import { runStatement, type Db } from '../store/db';
import { queueLowStockNotices, queueSlaWarnings } from '../store/notice-scans';

/** The periodic merchant scans (docs/notifications.md): SLA warnings and low stock. */
export interface NoticeScanOptions {
  intervalMs: number;
  /** Warn a merchant this long before its confirmation or shipping deadline passes. */
  slaLeadMs: number;
  /** Tell a merchant when a SKU's available stock in a warehouse drops below this. */
  lowStockThreshold: number;
}

export interface DispatcherOptions {
  db: Db;
  notifiers: Record<NotificationChannel, Notifier>;
  log?: Pick<Logger, 'warn' | 'error'>;
  intervalMs?: number;
  batchSize?: number;
  /** A message that still fails after this many attempts is left `failed` for support to resend. */
  maxAttempts?: number;
  /** A gateway that has not answered within this long is treated as timed out (retried under the same key). */
  sendTimeoutMs?: number;
  /** Off unless given: the worker process turns them on from its configuration. */
  scans?: NoticeScanOptions;
}

const LEASE_MS = 60_000;

/** What a claim reads of each row. */
type ClaimedNotification = Pick<
  Notification,
  'id' | 'orderId' | 'recipientType' | 'recipientId' | 'channel' | 'kind' | 'payload' | 'attempts'
>;

/** The gateway's message of an outbox row: the row id is its idempotency key. */
const messageOf = (row: ClaimedNotification): NotificationMessage => ({
  idempotencyKey: row.id,
  recipientType: row.recipientType,
  recipientId: row.recipientId,
  kind: row.kind,
  orderId: row.orderId ?? undefined,
  payload: row.payload as Record<string, unknown>,
});

/** Claims due rows ($1 the lease in ms, $2 how many), past other dispatchers' locks (decision 111: a hot statement). */
const CLAIM = {
  name: 'notifications-claim',
  text: `UPDATE notifications SET next_attempt_at = now() + $1::int * interval '1 millisecond', attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
      ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING id, order_id AS "orderId", recipient_type AS "recipientType", recipient_id AS "recipientId", channel, kind, payload, attempts`,
};

/** A batch's sent messages, marked together (decision 111: a hot statement). */
const MARK_SENT = {
  name: 'notifications-mark-sent',
  text: `UPDATE notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = ANY($1::text[])`,
};

/**
 * Delivers the notification outbox. Rows are claimed with SKIP LOCKED and a lease, so several
 * dispatchers never send one row at once; each send carries the row id as idempotency key, so a
 * crash between sending and marking `sent` (a batch is marked at its end) cannot send it twice.
 */
export function startNotificationDispatcher({
  db,
  notifiers,
  log,
  intervalMs = 250,
  batchSize = 20,
  maxAttempts = 8,
  sendTimeoutMs = 10_000,
  scans,
}: DispatcherOptions) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let lastScan = 0;

  /** One statement claims a batch: due rows, locked past other dispatchers, leased, counted. */
  const claim = () => runStatement<ClaimedNotification>(db, CLAIM, [LEASE_MS, batchSize]);

  /** A message whose request failed at `failedAt`: retried after its backoff, or failed for good. */
  async function recordFailure(row: ClaimedNotification, err: Error, failedAt: number) {
    const failed = row.attempts >= maxAttempts;
    const backoffMs = Math.min(300_000, 500 * 2 ** row.attempts);
    await db.notification.update({
      where: { id: row.id },
      data: {
        status: failed ? 'failed' : 'pending',
        lastError: err.message,
        nextAttemptAt: new Date(failedAt + backoffMs),
      },
    });
    log?.warn(
      { notificationId: row.id, attempts: row.attempts, err: err.message },
      failed ? 'notification failed for good' : 'notification will be retried',
    );
  }

  /**
   * Sends a claimed batch, one request per channel (the gateways' batch APIs), the channels at once;
   * the sent ones are marked together, in one statement, at its end. A request that fails fails each
   * of its messages, each retried after its own backoff.
   */
  async function deliverDue(): Promise<number> {
    const rows = await claim();
    const sent: string[] = [];
    await Promise.all(
      [...Map.groupBy(rows, (row) => row.channel)].map(async ([channel, batch]) => {
        try {
          const notifier = notifiers[channel as NotificationChannel];
          if (!notifier) throw new Error(`no notifier for channel ${channel}`);
          await withTimeout(
            notifier.sendBatch(batch.map(messageOf)),
            sendTimeoutMs,
            `${channel} gateway did not answer within ${sendTimeoutMs} ms`,
          );
          sent.push(...batch.map((row) => row.id));
        } catch (err) {
          // One time for the request: its messages come due again together, and go again in one request.
          const failedAt = Date.now();
          for (const row of batch) await recordFailure(row, err as Error, failedAt);
        }
      }),
    );
    if (sent.length > 0) await runStatement(db, MARK_SENT, [sent]);
    return rows.length;
  }

  /** The scans run every `intervalMs`, in the same pass as deliveries, so stop() awaits them too. */
  async function scanIfDue() {
    if (!scans || Date.now() - lastScan < scans.intervalMs) return;
    lastScan = Date.now();
    await queueSlaWarnings(db, scans.slaLeadMs);
    await queueLowStockNotices(db, scans.lowStockThreshold);
  }

  const loop = () => {
    if (stopped) return;
    running = scanIfDue()
      .catch((err) => log?.error({ err }, 'notice scan failed'))
      .then(deliverDue)
      .catch((err) => {
        log?.error({ err }, 'notification dispatcher pass failed');
        return 0;
      })
      // A full batch means more are due: the next pass starts at once (every order now queues several).
      .then((delivered) => {
        if (!stopped) timer = setTimeout(loop, delivered >= batchSize ? 0 : intervalMs);
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

/**
 * Rejects once `ms` pass without an answer; the call itself runs on (a gateway may still send), which
 * the idempotency key makes harmless: the retry finds the message already sent.
 */
function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
