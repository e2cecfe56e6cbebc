import type { NoticeCategory } from './catalogue';

/** The channels a notice can go out on (the simulated gateways in adapters/simulators/notifier.ts). */
export const noticeChannels = ['sms', 'email', 'in_app'] as const;
export type NoticeChannel = (typeof noticeChannels)[number];
export const locales = ['zh-CN', 'en'] as const;
export type Locale = (typeof locales)[number];

/**
 * What a customer wants to hear and how (PUT /v1/customers/{id}/notification-preferences; validated by
 * preferences.schema.ts). Order notices are service messages, so at least one channel stays on for
 * them (decision 064).
 */
export interface NotificationPreferences {
  channels: { transactional: NoticeChannel[]; marketing: NoticeChannel[] };
  locale: Locale;
  quietHours?: { start: string; end: string; timeZone: string };
}

/** A customer who never said: SMS and in-app in Chinese, no marketing (docs/notifications.md). */
export const DEFAULT_PREFERENCES: NotificationPreferences = {
  channels: { transactional: ['sms', 'in_app'], marketing: [] },
  locale: 'zh-CN',
};

export const channelsFor = (prefs: NotificationPreferences, category: NoticeCategory): NoticeChannel[] =>
  prefs.channels[category];

/** Minutes since local midnight of `at` in `timeZone`. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return Number(parts.hour) * 60 + Number(parts.minute);
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a message on `channel` may go out: SMS and email wait for the end of the customer's quiet
 * hours (a window may wrap midnight); in-app messages are silent and go at once.
 */
export function sendAfter(prefs: NotificationPreferences, channel: NoticeChannel, now: Date): Date {
  const q = prefs.quietHours;
  if (!q || channel === 'in_app') return now;
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  const m = localMinutes(now, q.timeZone ?? 'Asia/Shanghai');
  const quiet = start <= end ? m >= start && m < end : m >= start || m < end;
  if (!quiet) return now;
  const wait = (end - m + 1440) % 1440;
  return new Date(now.getTime() + wait * 60_000 - now.getSeconds() * 1000 - now.getMilliseconds());
}
