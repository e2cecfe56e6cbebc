import { z } from 'zod';
import { matchesEventType } from '../../domain';
import type { Prisma } from '../../prisma/generated/client';
import type { Db } from '../../store/db';
import type { Caller } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { redeliverySchema, webhookDeliveryPageSchema } from '../schemas';
import { idParams, listQuery, ownSubscription, ROLES, visibleTo, type Conn } from './webhook-subscriptions';

/**
 * The delivery log of outbound events and manual redelivery (docs/notifications.md, "Delivery log
 * and redelivery"): a redelivery sends the same event id (`webhook-id`) again.
 */
const eventParams = idParams.extend({ eventId: z.string().min(1).max(200) });
const deliveriesQuery = listQuery.extend({
  status: z.enum(['pending', 'parked', 'delivered', 'failed']).optional(),
  /** One order's deliveries: what its platform was told, whatever else the subscription carries. */
  orderId: z.string().min(1).max(200).optional(),
});
const rangeBody = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .strict()
  .refine((b) => new Date(b.from) < new Date(b.to), { path: ['to'], message: 'must be after from' });
/** A range redelivery re-sends at most this many events; a larger range is asked in parts. */
const MAX_RANGE_EVENTS = 1000;

const DIGITS = /^\d{1,18}$/;

/** The delivery log and manual redelivery: the same event id (`webhook-id`) every time. */
export function webhookDeliveryRoutes({ db }: AppDeps, define: Define) {
  const own = (caller: Caller, id: string, conn: Conn = db) => ownSubscription(conn, caller, id);
  /** One page of deliveries, newest first: keyset on (created_at, id). */
  async function page(where: Prisma.WebhookDeliveryWhereInput, query: z.infer<typeof deliveriesQuery>) {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (after && !DIGITS.test(after.id))
      throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
    const rows = await db.webhookDelivery.findMany({
      where: {
        ...where,
        status: query.status,
        orderId: query.orderId,
        ...(after
          ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: BigInt(after.id) } }] }
          : {}),
      },
      include: {
        event: { select: { type: true, occurredAt: true } },
        subscription: { select: { url: true } },
        attemptLog: { orderBy: { id: 'desc' }, take: 10 },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(deliveryView),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, String(last.id)) : null,
    };
  }

  define<undefined, z.infer<typeof idParams>, z.infer<typeof deliveriesQuery>>({
    method: 'GET',
    url: '/v1/webhook-subscriptions/:id/deliveries',
    operationId: 'listSubscriptionDeliveries',
    summary:
      'The subscription’s deliveries (newest first, cursor-paginated; by status or order): attempts, last answer',
    response: { schema: webhookDeliveryPageSchema },
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    query: deliveriesQuery,
    async handler({ params, query, caller }) {
      await own(caller, params.id);
      return page({ subscriptionId: params.id }, query);
    },
  });

  define<undefined, undefined, z.infer<typeof deliveriesQuery>>({
    method: 'GET',
    url: '/v1/webhook-deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'Deliveries of every subscription the caller sees (e.g. ?status=failed for the console)',
    response: { schema: webhookDeliveryPageSchema },
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    query: deliveriesQuery,
    handler: ({ query, caller }) => page({ subscription: visibleTo(caller) }, query),
  });

  define<undefined, z.infer<typeof eventParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/deliveries/:eventId/redeliver',
    operationId: 'redeliverEvent',
    summary: 'Send one event to this endpoint again (same webhook-id), after the order’s earlier pending events',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: eventParams,
    idempotency: { via: 'transaction', required: false },
    response: { status: 202, schema: redeliverySchema },
    async handler({ params, caller, reply, tx }) {
      const conn = tx ?? db;
      const sub = await own(caller, params.id, conn);
      const event = await conn.outboundEvent.findUnique({ where: { id: params.eventId } });
      if (!event || (sub.merchantId && event.merchantId !== sub.merchantId))
        throw problems.notFound(`event ${params.eventId}`);
      await requeue(conn, sub, [event]);
      reply.status(202);
      return { subscriptionId: sub.id, eventIds: [event.id], status: queuedAs(sub) };
    },
  });

  define<z.infer<typeof rangeBody>, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/redeliver',
    operationId: 'redeliverRange',
    summary: 'Send again every event the subscription asks for that occurred in [from, to), same webhook-ids',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    body: rangeBody,
    idempotency: { via: 'transaction', required: false },
    response: { status: 202, schema: redeliverySchema },
    async handler({ params, body, caller, reply, tx }) {
      const conn = tx ?? db;
      const sub = await own(caller, params.id, conn);
      const events = await conn.outboundEvent.findMany({
        where: {
          occurredAt: { gte: new Date(body.from), lt: new Date(body.to) },
          ...(sub.merchantId ? { merchantId: sub.merchantId } : {}),
        },
        select: { id: true, orderId: true, seq: true, type: true },
        orderBy: [{ orderId: 'asc' }, { seq: 'asc' }],
        take: MAX_RANGE_EVENTS + 1,
      });
      if (events.length > MAX_RANGE_EVENTS)
        throw problems.unprocessable(`more than ${MAX_RANGE_EVENTS} events in the range: ask for a shorter one`, [
          { field: 'to', message: `the range holds more than ${MAX_RANGE_EVENTS} events` },
        ]);
      const wanted = events.filter((e) => matchesEventType(sub.eventTypes, e.type));
      await requeue(conn, sub, wanted);
      reply.status(202);
      return { subscriptionId: sub.id, eventIds: wanted.map((e) => e.id), status: queuedAs(sub) };
    },
  });
}

/** A redelivery to a disabled endpoint waits, parked, until it is enabled again. */
const queuedAs = (sub: { enabled: boolean }) => (sub.enabled ? 'pending' : 'parked');

/** Each event's delivery queued again for a new round of attempts (created where it never existed). */
async function requeue(
  conn: Conn,
  sub: { id: string; enabled: boolean },
  events: Array<{ id: string; orderId: string; seq: number }>,
) {
  const status = queuedAs(sub);
  for (const e of events)
    await conn.webhookDelivery.upsert({
      where: { subscriptionId_eventId: { subscriptionId: sub.id, eventId: e.id } },
      create: { subscriptionId: sub.id, eventId: e.id, orderId: e.orderId, seq: e.seq, status },
      update: { status, attempts: 0, nextAttemptAt: new Date(), deliveredAt: null },
    });
}

type DeliveryRow = Awaited<ReturnType<Db['webhookDelivery']['findMany']>>[number] & {
  event: { type: string; occurredAt: Date };
  subscription: { url: string };
  attemptLog: Array<{
    attempt: number;
    at: Date;
    statusCode: number | null;
    responseBody: string | null;
    error: string | null;
    durationMs: number;
  }>;
};

const deliveryView = (d: DeliveryRow) => ({
  id: String(d.id),
  subscriptionId: d.subscriptionId,
  url: d.subscription.url,
  eventId: d.eventId,
  eventType: d.event.type,
  occurredAt: d.event.occurredAt,
  orderId: d.orderId,
  sequence: d.seq,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
  deliveredAt: d.deliveredAt,
  lastAnswer: d.lastAttemptAt
    ? { at: d.lastAttemptAt, statusCode: d.lastStatusCode, body: d.lastResponseBody, error: d.lastError }
    : null,
  /** The latest attempts, newest first (a redelivery's round counts from 1 again). */
  recentAttempts: d.attemptLog.map((a) => ({
    attempt: a.attempt,
    at: a.at,
    statusCode: a.statusCode,
    body: a.responseBody,
    error: a.error,
    durationMs: a.durationMs,
  })),
  createdAt: d.createdAt,
});
