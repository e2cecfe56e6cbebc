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

/**
 * Secret rotation without a gap (decision 074): the previous secret keeps signing beside the new one
 * for an overlap, 24 h unless the rotation asks otherwise, at most 7 days (Stripe's longest), 0 = none.
 */
export const SECRET_OVERLAP_DEFAULT_SECONDS = 24 * 3600;
export const SECRET_OVERLAP_MAX_SECONDS = 7 * 24 * 3600;

export interface SubscriptionSecrets {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/** When a secret replaced now stops signing, or null when it stops at once. */
export const previousSecretExpiry = (overlapSeconds: number, now: Date): Date | null =>
  overlapSeconds > 0 ? new Date(now.getTime() + overlapSeconds * 1000) : null;

/** The previous secret's expiry while it still signs, else null (expired or none). */
export const previousSecretSignsUntil = (s: SubscriptionSecrets, now: Date): Date | null =>
  s.previousSecret !== null && s.previousSecretExpiresAt !== null && s.previousSecretExpiresAt > now
    ? s.previousSecretExpiresAt
    : null;

/** The secrets a delivery is signed with now: the current one, then the previous while it is in force. */
export const signingSecrets = (s: SubscriptionSecrets, now: Date): string[] =>
  previousSecretSignsUntil(s, now) ? [s.secret, s.previousSecret!] : [s.secret];
