import type { Logger } from 'pino';
import { refreshAnalytics } from '../store/analytics/refresh';
import type { Db } from '../store/db';

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
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = refreshAnalytics(db)
      .then((n) => {
        if (n > 0) log?.debug({ orders: n }, 'analytics refreshed');
      })
      .catch((err: unknown) => log?.warn({ err }, 'analytics refresh failed; retried next tick'))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
