import type { Db } from './db';

/** Rows deleted per statement, so a large backlog never holds one long transaction. */
const BATCH = 5_000;

/** Runs a delete of at most BATCH rows until one deletes fewer; returns how many rows went in all. */
async function inBatches(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < BATCH) return total;
  }
}

/**
 * Forgets idempotency records older than `retentionHours` (docs/api.md, "Idempotency"): a request
 * retried after that is a new request. A record whose order was accepted but never started (status
 * `submitted`) is kept: the client's retry under that key is what starts the order it was promised.
 * Returns how many were deleted.
 */
export async function expireIdempotencyRecords(db: Db, retentionHours: number): Promise<number> {
  return inBatches(
    () => db.$executeRaw`
      DELETE FROM idempotency_records
      WHERE ctid IN (
        SELECT r.ctid FROM idempotency_records r
        WHERE r.created_at < now() - make_interval(hours => ${retentionHours}::int)
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.id = r.resource_id AND o.status = 'submitted')
        LIMIT ${BATCH}
      )`,
  );
}

/**
 * Forgets outbound events older than `retentionDays` (by when they occurred) that no endpoint still
 * waits for, with their deliveries and attempts (docs/notifications.md, "Retention"): a range
 * redelivery reaches back that far. An event not yet fanned out, or with a delivery still `pending`
 * or `parked`, is kept until it ends. Returns how many events were deleted.
 */
export async function expireOutboundEvents(db: Db, retentionDays: number): Promise<number> {
  return inBatches(
    () => db.$executeRaw`
      DELETE FROM outbound_events
      WHERE ctid IN (
        SELECT e.ctid FROM outbound_events e
        WHERE e.occurred_at < now() - make_interval(days => ${retentionDays}::int) AND e.fanned_out_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d
                          WHERE d.event_id = e.id AND d.status IN ('pending', 'parked'))
        LIMIT ${BATCH}
      )`,
  );
}
