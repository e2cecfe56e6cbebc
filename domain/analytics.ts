/**
 * Analytics (docs/analytics.md): the pure parts — periods in a time zone, the derived metrics and the
 * reorder suggestion. The sums themselves come from the rollups (store/analytics/).
 */

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';
export const buckets = ['day', 'hour'] as const;
export type Bucket = (typeof buckets)[number];
/** Longest period per bucket: enough for a year's trend by day, a month by hour. */
export const MAX_SPAN_DAYS: Record<Bucket, number> = { day: 400, hour: 31 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Whether the runtime knows this IANA zone name. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** One formatter per zone: building one costs far more than using it, and a year's check uses it 366 times. */
function formatterOf(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC at an instant, in minutes (Asia/Shanghai: 480). */
export function offsetMinutes(tz: string, at: number): number {
  const parts = formatterOf(tz).formatToParts(new Date(at));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((local - Math.floor(at / 1000) * 1000) / 60_000);
}

/**
 * Rollups are kept per UTC hour, so a zone can re-bucket them only if its offset is a whole number
 * of hours throughout the period (true of Asia/Shanghai, UTC, Europe/*, America/*; not of India's
 * +05:30). Sampled every 15 days and at both ends: a zone's offset changes at most twice a year, and
 * no zone with a whole-hour standard offset moves by half an hour in summer.
 */
export function wholeHourOffsets(tz: string, from: number, to: number): boolean {
  for (let t = from; t < to; t += 15 * DAY) if (offsetMinutes(tz, t) % 60 !== 0) return false;
  return offsetMinutes(tz, to) % 60 === 0;
}

/** The UTC instant of a local wall-clock time in a zone (the earlier one when a clock change repeats it). */
export function localToUtc(local: string, tz: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::00)?)?$/.exec(local);
  if (!m) return NaN;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], m[4] ? +m[4] : 0);
  const first = wall - offsetMinutes(tz, wall) * 60_000;
  return wall - offsetMinutes(tz, first) * 60_000;
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(at: number, tz: string): string {
  return new Date(at + offsetMinutes(tz, at) * 60_000).toISOString().slice(0, 10);
}

/**
 * A period split for the rollups: whole UTC days read from the daily rows, the hours at either edge
 * from the hourly rows. Exact for any whole-hour period, while a year reads 365 rows, not 8,760.
 */
export function splitPeriod(from: number, to: number): { days?: [number, number]; hours: Array<[number, number]> } {
  const dayFrom = Math.ceil(from / DAY) * DAY;
  const dayTo = Math.floor(to / DAY) * DAY;
  if (dayFrom >= dayTo) return { hours: [[from, to]] };
  const hours: Array<[number, number]> = [];
  if (from < dayFrom) hours.push([from, dayFrom]);
  if (dayTo < to) hours.push([dayTo, to]);
  return { days: [dayFrom, dayTo], hours };
}

/** The first instant of the UTC month that `at` falls in, plus `add` months. */
const monthStart = (at: number, add = 0) => {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1);
};

/**
 * Whole UTC days split again for the monthly grain (decision 085): the whole UTC months inside them,
 * and the days at either edge. UTC months nest in the UTC days and hours a period is already cut
 * into, so the pieces cover the period exactly in any whole-hour zone.
 */
export function splitDays(from: number, to: number): { months?: [number, number]; days: Array<[number, number]> } {
  const first = monthStart(from) === from ? from : monthStart(from, 1);
  const last = monthStart(to);
  if (first >= last) return { days: [[from, to]] };
  const days: Array<[number, number]> = [];
  if (from < first) days.push([from, first]);
  if (last < to) days.push([last, to]);
  return { months: [first, last], days };
}

/** The whole local days of a zone inside [from, to), as UTC instants of their midnights; none if no whole day fits. */
export function localDaySpan(from: number, to: number, tz: string): [number, number] | undefined {
  const midnight = (date: string) => localToUtc(date, tz);
  const next = (date: string) => new Date(Date.parse(date) + DAY).toISOString().slice(0, 10);
  const start = midnight(localDate(from, tz)) === from ? from : midnight(next(localDate(from, tz)));
  const end = midnight(localDate(to, tz));
  return start < end ? [start, end] : undefined;
}

/** A ratio rounded to 4 decimals; null when the denominator is 0 (no sale is not a 0 % rate). */
export function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : null;
}

/** Average order value in minor units, rounded half up; null without orders. */
export function averageOrderValue(gmv: number, orders: number): number | null {
  return orders > 0 ? Math.round(gmv / orders) : null;
}

/** A merchant's replenishment policy (domain/policy.ts values), in days. */
export interface ReplenishmentPolicy {
  leadTimeDays: number;
  safetyStockDays: number;
  reviewDays: number;
  velocityWindowDays: number;
}

export type Urgency = 'stockout' | 'critical' | 'reorder' | 'ok' | 'no_demand';

export interface ReorderSuggestion {
  velocityPerDay: number;
  coverDays: number | null;
  reorderPoint: number;
  orderUpTo: number;
  suggestedQuantity: number;
  urgency: Urgency;
}

/**
 * Stock cover and the reorder suggestion for one SKU in one warehouse (docs/analytics.md):
 * velocity = units shipped in the window / window days; cover = available / velocity;
 * reorder point = velocity × (lead time + safety stock); below or at it, order up to
 * velocity × (lead time + safety stock + review period). Urgency: stockout (nothing available),
 * critical (runs out before a new order arrives), reorder (at or below the reorder point), ok.
 */
export function reorderSuggestion(available: number, unitsInWindow: number, p: ReplenishmentPolicy): ReorderSuggestion {
  const velocity = unitsInWindow / p.velocityWindowDays;
  const reorderPoint = Math.ceil(velocity * (p.leadTimeDays + p.safetyStockDays));
  const orderUpTo = Math.ceil(velocity * (p.leadTimeDays + p.safetyStockDays + p.reviewDays));
  const round = (x: number) => Math.round(x * 100) / 100;
  if (velocity === 0)
    return {
      velocityPerDay: 0,
      coverDays: null,
      reorderPoint: 0,
      orderUpTo: 0,
      suggestedQuantity: 0,
      urgency: 'no_demand',
    };
  const cover = Math.max(0, available) / velocity;
  const below = available <= reorderPoint;
  const urgency: Urgency = available <= 0 ? 'stockout' : cover < p.leadTimeDays ? 'critical' : below ? 'reorder' : 'ok';
  return {
    velocityPerDay: round(velocity),
    coverDays: round(cover),
    reorderPoint,
    orderUpTo,
    suggestedQuantity: below ? orderUpTo - Math.max(0, available) : 0,
    urgency,
  };
}

/**
 * RFM scores 1–5 by documented thresholds (docs/analytics.md, decision 073), not quintiles: a score
 * then means the same for every merchant and every day, and the rollup query can count customers per
 * score combination without ranking them. Each list holds the lower bounds of scores 2…5 (recency:
 * upper bounds in days of scores 5…2, fewer days is better).
 */
export const RFM_THRESHOLDS = {
  /** Days since the last order: ≤ 30 → 5, ≤ 60 → 4, ≤ 90 → 3, ≤ 180 → 2, more → 1. */
  recencyDays: [30, 60, 90, 180],
  /** Orders: 1 → 1, 2 → 2, 3 → 3, 4–5 → 4, 6 or more → 5. */
  orders: [2, 3, 4, 6],
  /** Monetary value in fen: < ¥100 → 1, < ¥300 → 2, < ¥1,000 → 3, < ¥3,000 → 4, more → 5. */
  monetary: [10_000, 30_000, 100_000, 300_000],
} as const;

export const rfmSegments = ['champions', 'loyal', 'new', 'promising', 'at_risk', 'hibernating', 'lost'] as const;
export type RfmSegment = (typeof rfmSegments)[number];

/** A customer's named segment from its R, F and M scores: the first rule that matches. */
export function rfmSegment(r: number, f: number, m: number): RfmSegment {
  if (r >= 4 && f >= 4 && m >= 4) return 'champions';
  if (r >= 3 && f >= 3) return 'loyal';
  if (r >= 4 && f === 1) return 'new';
  if (r >= 3) return 'promising';
  if (r === 2 && f >= 2) return 'at_risk';
  if (r === 2) return 'hibernating';
  return 'lost';
}
