import type { Logger } from 'pino';
import { refreshAnalytics } from '../store/analytics/refresh';
import type { Db } from '../store/db';
import { startPeriodic } from './periodic';

/**
 * Keeps the analytics rollups close to the read model between reads (docs/analytics.md): every
 * `intervalMs` the dirty queue is drained. Reads refresh too, so this only keeps their work small;
 * several workers may run it, the refresher's advisory lock makes them take turns.
 */
export function startAnalyticsRefresher({
  db,
  log,
  intervalMs = 5_000,
}: {
  db: Db;
  log?: Logger;
  intervalMs?: number;
}) {
  return startPeriodic({ what: 'analytics refresh', work: () => refreshAnalytics(db), intervalMs, log });
}
