import { z } from 'zod';
import { DEFAULT_PREFERENCES, preferencesSchema, type NotificationPreferences } from '../../domain';
import { readPreferences, writePreferences } from '../../store/notices';
import { audited } from '../audit';
import type { AppDeps } from '../deps';
import { resendNotification } from '../resend';
import { problems } from '../problem';
import type { Define } from '../route';
import { notificationPageSchema, notificationPreferencesSchema, resentNotificationsSchema } from '../schemas';

const customerParams = z.object({ id: z.string().min(1).max(64) });
const failedQuery = z.object({
  status: z.enum(['failed', 'pending', 'sent']).default('failed'),
  orderId: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** Keyset cursor (time, id) of the last row of a page; notification ids are longer than api/cursor.ts allows. */
const encodeCursor = (at: Date, id: string) =>
  Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const at = new Date(time);
    const sane =
      typeof id === 'string' &&
      id.length <= 200 &&
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
      !/[\u0000-\u001f\ud800-\udfff]/.test(id) &&
      !Number.isNaN(at.getTime()) &&
      at.getUTCFullYear() >= 1970 &&
      at.getUTCFullYear() <= 9999;
    if (sane) return { at, id };
  } catch {
    // not JSON: refused below
  }
  throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
}

const notificationParams = z.object({ id: z.string().min(1).max(300) });
const resendBody = z.object({ reason: z.string().trim().min(1).max(500) });

const preferencesView = (customerId: string, prefs: NotificationPreferences, isDefault: boolean) => ({
  customerId,
  ...prefs,
  default: isDefault,
});

/**
 * Customer notification preferences (docs/notifications.md): customers are the platform's, so
 * preferences may be set before a customer's first order reaches the engine.
 * Also the support console's list of
 * notifications that failed for good (resent through POST /v1/ops/orders/{id}/resend-notification).
 */
export function notificationRoutes({ db }: AppDeps, define: Define) {
  define<undefined, z.infer<typeof customerParams>, undefined>({
    method: 'GET',
    url: '/v1/customers/:id/notification-preferences',
    operationId: 'getNotificationPreferences',
    summary: "A customer's notification preferences (the defaults, `default: true`, when none were set)",
    response: { schema: notificationPreferencesSchema },
    tags: ['notifications'],
    auth: ['platform', 'support'],
    params: customerParams,
    async handler({ params }) {
      const stored = await db.notificationPreference.findUnique({ where: { customerId: params.id } });
      return preferencesView(params.id, stored ? await readPreferences(db, params.id) : DEFAULT_PREFERENCES, !stored);
    },
  });

  define<NotificationPreferences, z.infer<typeof customerParams>, undefined>({
    method: 'PUT',
    url: '/v1/customers/:id/notification-preferences',
    operationId: 'setNotificationPreferences',
    summary:
      'Replace a customer’s notification preferences: channels per category, locale (zh-CN | en), optional quiet hours',
    response: { schema: notificationPreferencesSchema },
    tags: ['notifications'],
    auth: ['platform', 'support'],
    params: customerParams,
    body: preferencesSchema,
    // A PUT repeats harmlessly; a key still makes a retry answer what the first request did.
    idempotency: { via: 'transaction', required: false },
    async handler({ params, body, tx }) {
      const conn = tx ?? db;
      await writePreferences(conn, params.id, body);
      return preferencesView(params.id, body, false);
    },
  });

  define<undefined, undefined, z.infer<typeof failedQuery>>({
    method: 'GET',
    url: '/v1/ops/notifications',
    operationId: 'listNotifications',
    summary: 'Notifications by delivery status, newest first (default: failed for good; cursor-paginated)',
    response: { schema: notificationPageSchema },
    tags: ['ops'],
    auth: ['support'],
    query: failedQuery,
    async handler({ query }) {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await db.notification.findMany({
        where: {
          status: query.status,
          orderId: query.orderId,
          ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map((n) => ({
          id: n.id,
          orderId: n.orderId,
          recipientType: n.recipientType,
          recipientId: n.recipientId,
          channel: n.channel,
          kind: n.kind,
          status: n.status,
          attempts: n.attempts,
          lastError: n.lastError,
          subject: ((n.payload as { message?: { subject?: string } }).message ?? {}).subject ?? null,
          createdAt: n.createdAt.toISOString(),
          sentAt: n.sentAt?.toISOString() ?? null,
        })),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  });

  define<z.infer<typeof resendBody>, z.infer<typeof notificationParams>, undefined>({
    method: 'POST',
    url: '/v1/ops/notifications/:id/resend',
    operationId: 'resendNotificationById',
    summary:
      'Send one notification again, with or without an order (a merchant’s low-stock notice): a failed one is queued again, a sent one copied under a new key (support; reason required; audited)',
    response: { schema: resentNotificationsSchema },
    tags: ['ops'],
    auth: ['support'],
    params: notificationParams,
    body: resendBody,
    idempotency: { via: 'update', required: false },
    handler: ({ params, body, caller }) =>
      audited(db, { caller, operation: 'notification.resend', reason: body.reason }, async (details) => {
        details.notificationId = params.id;
        const queued = await resendNotification(db, params.id);
        details.queued = queued;
        return { queued };
      }),
  });
}
