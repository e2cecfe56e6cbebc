import { z } from 'zod';
import {
  buckets,
  DEFAULT_TIME_ZONE,
  isTimeZone,
  localDate,
  localToUtc,
  MAX_SPAN_DAYS,
  paymentMethods,
  wholeHourOffsets,
  type Bucket,
} from '../../domain';
import type { Scope } from '../../store/analytics/queries';
import type { Caller } from '../auth';
import { problems } from '../problem';

const DAY = 86_400_000;
/** A local wall-clock time in the request's zone: a date, or a date and a whole hour. */
const localTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}(:00)?)?$/, 'expected YYYY-MM-DD or YYYY-MM-DDTHH:00 (local time in timezone)');

/** Every analytics read: the period [from, to) in `timezone`, the bucket and the filters (docs/analytics.md). */
export const analyticsFields = z.object({
  from: localTime.optional(),
  to: localTime.optional(),
  timezone: z.string().min(1).max(64).default(DEFAULT_TIME_ZONE),
  bucket: z.enum(buckets).default('day'),
  merchantId: z.string().trim().min(1).max(64).optional(),
  channel: z.string().trim().min(1).max(40).optional(),
  paymentMethod: z.enum(paymentMethods).optional(),
  format: z.enum(['json', 'csv']).optional(),
});

/** The checks of a period that zod's field types cannot say: a real zone, to after from, the span, whole-hour offsets. */
export function checkPeriod(q: z.infer<typeof analyticsFields>, ctx: z.RefinementCtx): void {
  if (!isTimeZone(q.timezone)) {
    ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'is not an IANA time zone (e.g. Asia/Shanghai)' });
    return;
  }
  const { from, to } = periodOf(q);
  if (Number.isNaN(from) || Number.isNaN(to)) return; // the regex already named the field
  if (to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  else if (to - from > MAX_SPAN_DAYS[q.bucket] * DAY)
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `the period may span at most ${MAX_SPAN_DAYS[q.bucket]} days with bucket=${q.bucket}`,
    });
  else if (!wholeHourOffsets(q.timezone, from, to))
    ctx.addIssue({
      code: 'custom',
      path: ['timezone'],
      message: 'must be a whole number of hours from UTC during the period (rollups are kept per UTC hour)',
    });
}

export const analyticsQuery = analyticsFields.superRefine(checkPeriod);
export type AnalyticsQuery = z.infer<typeof analyticsFields>;

/** The period as UTC instants; by default the 30 local days up to the end of today. */
export function periodOf(
  q: Pick<AnalyticsQuery, 'from' | 'to' | 'timezone'>,
  now = Date.now(),
): { from: number; to: number } {
  const tomorrow = new Date(Date.parse(localDate(now, q.timezone)) + DAY).toISOString().slice(0, 10);
  const to = localToUtc(q.to ?? tomorrow, q.timezone);
  const from = q.from ? localToUtc(q.from, q.timezone) : to - 30 * DAY;
  return { from, to };
}

/** The scope a caller may read: a merchant only its own numbers (asking for another merchant's is 403). */
export function scopeOf(q: AnalyticsQuery, caller: Caller): Scope & { bucket: Bucket } {
  return {
    ...periodOf(q),
    timeZone: q.timezone,
    bucket: q.bucket,
    merchantId: merchantOf(q.merchantId, caller),
    channel: q.channel,
    paymentMethod: q.paymentMethod,
  };
}

/** The merchant a caller reads: a merchant key always its own (another's is 403), support the one asked or all. */
export function merchantOf(merchantId: string | undefined, caller: Caller): string | undefined {
  if (caller.role !== 'merchant') return merchantId;
  if (merchantId !== undefined && merchantId !== caller.merchantId)
    throw problems.forbidden('a merchant key reads its own analytics only (merchantId must be your own or absent)');
  return caller.merchantId;
}
