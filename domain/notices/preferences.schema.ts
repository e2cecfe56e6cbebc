import { z } from 'zod';
import { locales, noticeChannels, type NotificationPreferences } from './preferences';

const channelList = z
  .array(z.enum(noticeChannels))
  .max(noticeChannels.length)
  .refine((cs) => new Set(cs).size === cs.length, { message: 'must not name a channel twice' });

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'must be HH:MM (24-hour clock)' });

const timeZone = z
  .string()
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone, e.g. Asia/Shanghai' },
  );

/** PUT /v1/customers/{id}/notification-preferences body (meanings: NotificationPreferences in preferences.ts). */
export const preferencesSchema = z
  .object({
    channels: z
      .object({
        transactional: channelList.min(1, { message: 'needs at least one channel: order notices cannot be muted' }),
        marketing: channelList,
      })
      .strict(),
    locale: z.enum(locales),
    quietHours: z
      .object({ start: clock, end: clock, timeZone: timeZone.default('Asia/Shanghai') })
      .strict()
      .optional(),
  })
  .strict() satisfies z.ZodType<NotificationPreferences>;
