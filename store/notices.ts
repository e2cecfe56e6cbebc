import type { Prisma } from '../prisma/generated/client';
import {
  DEFAULT_PREFERENCES,
  kindSpec,
  milestoneNotices,
  preferencesSchema,
  renderNotice,
  sendAfter,
  type Locale,
  type NoticeChannel,
  type Notice,
  type NotificationPreferences,
  type OrderState,
  type TimelineEntry,
} from '../domain';
import { runStatement, type Client, type Db, type PrismaTx } from './db';

/** Merchants read their notices in the console, in Chinese (docs/notifications.md). */
const MERCHANT_LOCALE: Locale = 'zh-CN';

/** Read once per customer notice (every milestone of an order): a hot statement. */
const READ_PREFERENCES = {
  name: 'notification-preferences',
  text: `SELECT channels, locale, quiet_hours AS "quietHours" FROM notification_preferences WHERE customer_id = $1`,
};

/** A customer's stored preferences, or the defaults when they never set any. */
export async function readPreferences(client: Client, customerId: string): Promise<NotificationPreferences> {
  const [row] = await runStatement<{ channels: unknown; locale: string; quietHours: unknown }>(
    client,
    READ_PREFERENCES,
    [customerId],
  );
  if (!row) return DEFAULT_PREFERENCES;
  // Stored rows were validated on the way in; a row that no longer parses falls back to the defaults.
  const parsed = preferencesSchema.safeParse({
    channels: row.channels,
    locale: row.locale,
    ...(row.quietHours ? { quietHours: row.quietHours } : {}),
  });
  return parsed.success ? parsed.data : DEFAULT_PREFERENCES;
}

export async function writePreferences(client: Db | PrismaTx, customerId: string, prefs: NotificationPreferences) {
  const data = {
    channels: prefs.channels as object,
    locale: prefs.locale,
    quietHours: (prefs.quietHours ?? null) as Prisma.InputJsonValue | typeof Prisma.DbNull,
  };
  await client.notificationPreference.upsert({ where: { customerId }, create: { customerId, ...data }, update: data });
}

/** One outbox row per channel: a customer's from their preferences, a merchant's as named. */
async function rowsOf(client: Client, n: Notice, now: Date): Promise<NoticeRow[]> {
  const prefs = n.recipientType === 'customer' ? await readPreferences(client, n.recipientId) : undefined;
  const channels: NoticeChannel[] = prefs ? prefs.channels[kindSpec(n.kind).category] : [n.channel ?? 'in_app'];
  // Only email carries HTML; SMS and in-app get the plain text.
  const { html: _html, ...plain } = renderNotice(n.kind, prefs?.locale ?? MERCHANT_LOCALE, n.vars);
  return channels.map((channel) => ({
    // Merchant rows keep the ids the workflows always gave them (`<orderId>:merchant.new_order`).
    id: prefs ? `${n.key}:${channel}` : n.key,
    orderId: n.orderId ?? null,
    recipientType: n.recipientType,
    recipientId: n.recipientId,
    channel,
    kind: n.kind,
    payload: { ...n.vars, message: channel === 'email' ? { ...plain, html: _html } : plain } as object,
    nextAttemptAt: prefs ? sendAfter(prefs, channel, now) : now,
  }));
}

/**
 * SQL: outbox rows given as one JSON array of NoticeRow (parameter `param`), each queued once by its id;
 * only when `condition` holds, if one is given (e.g. a row the same statement changed).
 */
export const insertNoticeRows = (param: string, condition = 'true') => `
  INSERT INTO notifications (id, order_id, recipient_type, recipient_id, channel, kind, payload, next_attempt_at)
  SELECT n.id, n."orderId", n."recipientType", n."recipientId", n.channel, n.kind, n.payload, n."nextAttemptAt"
  FROM jsonb_to_recordset(${param}::jsonb) AS n(id text, "orderId" text, "recipientType" text, "recipientId" text,
    channel text, kind text, payload jsonb, "nextAttemptAt" timestamptz)
  WHERE ${condition}
  ON CONFLICT DO NOTHING`;

const QUEUE_NOTICES = { name: 'queue-notices', text: insertNoticeRows('$1') };

/**
 * Queues notices in the outbox (workers/notifications.ts delivers them), rendered in the recipient's
 * locale. Ids are business keys, so a retry or a replayed step queues nothing twice.
 */
export async function queueNotices(client: Client, notices: Notice[], now = new Date()): Promise<void> {
  const rows = await noticeRows(client, notices, now);
  if (rows.length === 0) return;
  await runStatement(client, QUEUE_NOTICES, [JSON.stringify(rows)]);
}

/** The outbox rows of `notices`, rendered for their recipients (what queueNotices writes). */
export async function noticeRows(client: Client, notices: Notice[], now = new Date()): Promise<NoticeRow[]> {
  const rows: NoticeRow[] = [];
  // One after another: a transaction's client runs one statement at a time anyway.
  for (const n of notices) rows.push(...(await rowsOf(client, n, now)));
  return rows;
}

export type NoticeRow = Prisma.NotificationCreateManyInput;

/** The outbox rows of the customer milestones one projected timeline entry causes (written with the entry). */
export const milestoneNoticeRows = (client: Client, state: OrderState, entry: TimelineEntry) =>
  noticeRows(client, milestoneNotices(state, entry));

/** A parcel as its customer notices name it. */
export interface NoticeParcel {
  orderId: string;
  seq: number;
  courier: string | null;
  trackingNumber: string | null;
  customerId: string;
}

/**
 * Out for delivery never reaches the order's timeline (a shipment reports milestones only), so its
 * notice goes with the tracking event itself: one per courier event, so a second attempt is told too.
 */
export const outForDeliveryNotice = (s: NoticeParcel, eventId: string): Notice => ({
  key: `${s.orderId}:out_for_delivery:${s.seq}:${eventId}`,
  orderId: s.orderId,
  recipientType: 'customer',
  recipientId: s.customerId,
  kind: 'shipment.out_for_delivery',
  vars: { orderId: s.orderId, courier: s.courier, trackingNumber: s.trackingNumber },
});

/** The out-for-delivery notice of a tracking event a parcel's workflow recorded (any other event queues nothing). */
export async function queueTrackingNotice(db: Db, shipmentId: string, event: { type: string; eventId: string }) {
  if (event.type !== 'out_for_delivery') return;
  const [s] = await runStatement<NoticeParcel>(db, PARCEL_OF_NOTICE, [shipmentId]);
  if (s) await queueNotices(db, [outForDeliveryNotice(s, event.eventId)]);
}

const PARCEL_OF_NOTICE = {
  name: 'parcel-of-notice',
  text: `SELECT s.order_id AS "orderId", s.seq, s.courier, s.tracking_number AS "trackingNumber", o.customer_id AS "customerId"
    FROM shipments s JOIN orders o ON o.id = s.order_id WHERE s.id = $1`,
};
