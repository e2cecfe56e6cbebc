import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../store/db';
import { expireIdempotencyRecords, expireOutboundEvents } from '../store/retention';
import { startPeriodic } from './periodic';

/**
 * Deletes what has outlived its retention: idempotency records after IDEMPOTENCY_RETENTION_HOURS,
 * outbound events no endpoint waits for after WEBHOOK_EVENT_RETENTION_DAYS. Every worker may run it;
 * the deletes are idempotent, so two at once only repeat a cheap scan.
 */
export function startHousekeeping({
  db,
  log,
  config,
}: {
  db: Db;
  log?: Logger;
  config: Pick<
    Config,
    'IDEMPOTENCY_RETENTION_HOURS' | 'WEBHOOK_EVENT_RETENTION_DAYS' | 'HOUSEKEEPING_INTERVAL_SECONDS'
  >;
}) {
  return startPeriodic({
    what: 'housekeeping',
    work: async () =>
      (await expireIdempotencyRecords(db, config.IDEMPOTENCY_RETENTION_HOURS)) +
      (await expireOutboundEvents(db, config.WEBHOOK_EVENT_RETENTION_DAYS)),
    intervalMs: config.HOUSEKEEPING_INTERVAL_SECONDS * 1000,
    log,
  });
}
