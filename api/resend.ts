import type { Notification } from '../prisma/generated/client';
import type { Db } from '../store/db';
import { problems } from './problem';

/**
 * Resends an order's notifications through the outbox (the dispatcher delivers them):
 * - a `failed` message (the dispatcher gave up) is queued again under its own id, so a provider that
 *   did send it after all still sends it only once;
 * - a `sent` message the customer says never arrived is copied into a new row (`<id>:resend-<n>`),
 *   a new idempotency key, so the provider sends it again;
 * - a `pending` one is already on its way (409).
 * Without an id, every failed message of the order is queued again (409 when there is none).
 */
export async function resendNotifications(db: Db, orderId: string, notificationId?: string) {
  if (!notificationId) {
    const failed = await db.notification.findMany({
      where: { orderId, status: 'failed' },
      orderBy: { createdAt: 'asc' },
    });
    if (failed.length === 0)
      throw problems.conflict(
        'nothing-to-resend',
        'no notification of this order has failed; name one to send it again',
      );
    await db.notification.updateMany({
      where: { id: { in: failed.map((n) => n.id) }, status: 'failed' },
      data: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), lastError: null },
    });
    return failed.map((n) => ({ id: n.id, kind: n.kind, channel: n.channel, was: 'failed' as const }));
  }
  const n = await db.notification.findUnique({ where: { id: notificationId } });
  if (!n || n.orderId !== orderId) throw problems.notFound(`notification ${notificationId} of order ${orderId}`);
  return resendOne(db, n);
}

/** One notification of any recipient, order or none (a merchant's low-stock notice): as above. */
export async function resendNotification(db: Db, notificationId: string) {
  const n = await db.notification.findUnique({ where: { id: notificationId } });
  if (!n) throw problems.notFound(`notification ${notificationId}`);
  return resendOne(db, n);
}

async function resendOne(db: Db, n: Notification) {
  if (n.status === 'pending') throw problems.conflict('not-allowed-in-state', `notification ${n.id} is already queued`);
  if (n.status === 'failed') {
    const { count } = await db.notification.updateMany({
      where: { id: n.id, status: 'failed' },
      data: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), lastError: null },
    });
    if (count === 0)
      throw problems.conflict('not-allowed-in-state', `notification ${n.id} changed meanwhile; look again`);
    return [{ id: n.id, kind: n.kind, channel: n.channel, was: 'failed' as const }];
  }
  const copies = await db.notification.count({ where: { id: { startsWith: `${n.id}:resend-` } } });
  const id = `${n.id}:resend-${copies + 1}`;
  try {
    await db.notification.create({
      data: {
        id,
        orderId: n.orderId,
        recipientType: n.recipientType,
        recipientId: n.recipientId,
        channel: n.channel,
        kind: n.kind,
        payload: n.payload as object,
      },
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'P2002')
      throw problems.conflict('not-allowed-in-state', `a resend of ${n.id} was queued at the same moment`);
    throw err;
  }
  return [{ id, kind: n.kind, channel: n.channel, was: 'sent' as const, copyOf: n.id }];
}
