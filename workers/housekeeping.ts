import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Db } from '../store/db';
import { expireIdempotencyRecords } from '../store/retention';
import { startPeriodic } from './periodic';

/**
 * Deletes what has outlived its retention: idempotency records after IDEMPOTENCY_RETENTION_HOURS.
 * Every worker may run it; the deletes are idempotent, so two at once only repeat a cheap scan.
 */
export function startHousekeeping({
  db,
  log,
  config,
}: {
  db: Db;
  log?: Logger;
  config: Pick<Config, 'IDEMPOTENCY_RETENTION_HOURS' | 'HOUSEKEEPING_INTERVAL_SECONDS'>;
}) {
  return startPeriodic({
    what: 'housekeeping',
    work: () => expireIdempotencyRecords(db, config.IDEMPOTENCY_RETENTION_HOURS),
    intervalMs: config.HOUSEKEEPING_INTERVAL_SECONDS * 1000,
    log,
  });
}
