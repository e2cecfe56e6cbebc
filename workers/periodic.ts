import type { Logger } from 'pino';

/**
 * Runs `work` every `intervalMs` (measured from the end of the previous run, so runs never overlap)
 * until stopped; a failure is logged and the work is simply tried again at the next tick.
 */
export function startPeriodic({
  what,
  work,
  intervalMs,
  log,
}: {
  /** What the work is, for the log ("analytics refresh"). */
  what: string;
  /** Does one pass; a positive count is logged at debug level. */
  work: () => Promise<number>;
  intervalMs: number;
  log?: Logger;
}) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = work()
      .then((n) => {
        if (n > 0) log?.debug({ count: n }, `${what} done`);
      })
      .catch((err: unknown) => log?.warn({ err }, `${what} failed; retried next tick`))
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
