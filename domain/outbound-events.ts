import { z } from 'zod';

/**
 * What a webhook subscription asks for (docs/notifications.md, "Outbound events"): `*` (every event),
 * a family such as `payment.*`, or one type such as `shipment.delivered`. Types are the order
 * timeline's (`order.*`, `payment.*`, `shipment.*`, `after_sales.*`, ...), an open set as the
 * engine grows, so patterns are checked for shape, not against a list.
 */
export const eventTypePattern = z
  .string()
  .max(100)
  .regex(
    /^(\*|[a-z][a-z_]*\.\*|[a-z][a-z_]*(\.[a-z][a-z_]*)+)$/,
    'must be *, <family>.* or a type like payment.captured',
  );

export function matchesEventType(patterns: readonly string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/**
 * The wait after a delivery's `failedAttempts`-th failed attempt, or undefined once the schedule is
 * used up (the delivery is then `failed`). ±20 % jitter keeps endpoints that failed together from
 * being retried together.
 */
export function retryDelayMs(
  schedule: readonly number[],
  failedAttempts: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[failedAttempts - 1];
  if (base === undefined) return undefined;
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** How long the schedule retries at least (every wait at its lowest jitter). */
export const retrySpanMs = (schedule: readonly number[]) => schedule.reduce((t, ms) => t + ms * 0.8, 0);
