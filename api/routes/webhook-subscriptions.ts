import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { generateSecret } from '../../adapters/outbound-webhooks';
import { urlRefusal, urlShapeProblem } from '../../adapters/url-guard';
import { eventTypePattern, matchesEventType } from '../../domain';
import type { Prisma } from '../../prisma/generated/client';
import type { Db } from '../../store/db';
import type { Caller } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';

/**
 * Platforms subscribe to order events instead of polling (docs/notifications.md, "Outbound events";
 * SPEC §11): subscriptions, their delivery log and manual redelivery. A merchant's subscription sees
 * its own orders only; a platform key sees the subscriptions it made; support sees all.
 */
type Conn = Db | Prisma.TransactionClient;
type Subscription = Awaited<ReturnType<Db['webhookSubscription']['findUniqueOrThrow']>>;

const ROLES = ['platform', 'merchant', 'support'] as const;
const url = z
  .string()
  .max(2000)
  .superRefine((u, ctx) => {
    const problem = urlShapeProblem(u);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
const eventTypes = z.array(eventTypePattern).min(1).max(50);
const createBody = z
  .object({ url, eventTypes: eventTypes.default(['*']), enabled: z.boolean().default(true) })
  .strict();
const patchBody = z
  .object({ url: url.optional(), eventTypes: eventTypes.optional(), enabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'must change at least one of url, eventTypes, enabled' });
const idParams = z.object({ id: z.string().min(1).max(100) });
const eventParams = idParams.extend({ eventId: z.string().min(1).max(200) });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const deliveriesQuery = listQuery.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() });
const rangeBody = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .strict()
  .refine((b) => new Date(b.from) < new Date(b.to), { path: ['to'], message: 'must be after from' });
/** A range redelivery re-sends at most this many events; a larger range is asked in parts. */
const MAX_RANGE_EVENTS = 1000;

/** The public shape; the secret only in the answers that create it. */
const subscriptionView = (s: Subscription) => ({
  id: s.id,
  url: s.url,
  eventTypes: s.eventTypes,
  enabled: s.enabled,
  disabledReason: s.disabledReason,
  failingSince: s.failingSince,
  merchantId: s.merchantId,
  owner: { role: s.ownerRole, name: s.ownerName },
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

const visibleTo = (caller: Caller): Prisma.WebhookSubscriptionWhereInput =>
  caller.role === 'support'
    ? {}
    : caller.role === 'merchant'
      ? { merchantId: caller.merchantId }
      : { ownerRole: caller.role, ownerName: caller.name };

export function webhookSubscriptionRoutes({ db, config }: AppDeps, define: Define) {
  const policy = {
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
    allowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
  };
  /** Refused endpoints are 422 naming `url`: the shape was fine (400 otherwise), where it points is not. */
  async function checkUrl(target: string) {
    const refusal = await urlRefusal(target, policy);
    if (refusal) throw problems.unprocessable(`url ${refusal}`, [{ field: 'url', message: refusal }]);
  }
  async function own(caller: Caller, id: string, conn: Conn = db): Promise<Subscription> {
    const sub = await conn.webhookSubscription.findFirst({ where: { id, ...visibleTo(caller) } });
    if (!sub) throw problems.notFound(`webhook subscription ${id}`);
    return sub;
  }

  define<z.infer<typeof createBody>, undefined, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions',
    summary: 'Subscribe an endpoint to order events; the signing secret is shown in this answer only',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    body: createBody,
    idempotency: { via: 'transaction', required: false },
    async handler({ body, caller, reply, tx }) {
      await checkUrl(body.url);
      const sub = await (tx ?? db).webhookSubscription.create({
        data: {
          id: `whsub_${randomUUID().replace(/-/g, '')}`,
          ownerRole: caller.role,
          ownerName: caller.name,
          merchantId: caller.role === 'merchant' ? caller.merchantId : null,
          url: body.url,
          eventTypes: body.eventTypes,
          enabled: body.enabled,
          secret: generateSecret(),
        },
      });
      reply.status(201);
      return { ...subscriptionView(sub), secret: sub.secret };
    },
  });

  define<undefined, undefined, z.infer<typeof listQuery>>({
    method: 'GET',
    url: '/v1/webhook-subscriptions',
    summary: 'List webhook subscriptions (newest first, cursor-paginated)',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    query: listQuery,
    async handler({ query, caller }) {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await db.webhookSubscription.findMany({
        where: {
          ...visibleTo(caller),
          ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(subscriptionView),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'GET',
    url: '/v1/webhook-subscriptions/:id',
    summary: 'One webhook subscription',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    handler: async ({ params, caller }) => subscriptionView(await own(caller, params.id)),
  });

  define<z.infer<typeof patchBody>, z.infer<typeof idParams>, undefined>({
    method: 'PATCH',
    url: '/v1/webhook-subscriptions/:id',
    summary: 'Change a subscription’s url, event types or enabled; enabling clears the failure record',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    body: patchBody,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, body, caller, tx }) {
      const conn = tx ?? db;
      await own(caller, params.id, conn);
      if (body.url) await checkUrl(body.url);
      const enabling = body.enabled === true ? { disabledReason: null, failingSince: null } : {};
      const disabling = body.enabled === false ? { disabledReason: 'by_owner' } : {};
      const sub = await conn.webhookSubscription.update({
        where: { id: params.id },
        data: { ...body, ...enabling, ...disabling },
      });
      return subscriptionView(sub);
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/disable',
    summary: 'Stop delivering to this endpoint (pending deliveries wait until it is enabled again)',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, caller, tx }) {
      const conn = tx ?? db;
      await own(caller, params.id, conn);
      const sub = await conn.webhookSubscription.update({
        where: { id: params.id },
        data: { enabled: false, disabledReason: 'by_owner' },
      });
      return subscriptionView(sub);
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/rotate-secret',
    summary: 'Replace the signing secret; the new one is shown in this answer only and signs every later attempt',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, caller, tx }) {
      const conn = tx ?? db;
      await own(caller, params.id, conn);
      const sub = await conn.webhookSubscription.update({
        where: { id: params.id },
        data: { secret: generateSecret() },
      });
      return { ...subscriptionView(sub), secret: sub.secret };
    },
  });

  deliveryRoutes(db, define, own);
}

const DIGITS = /^\d{1,18}$/;

/** The delivery log and manual redelivery: the same event id (`webhook-id`) every time. */
function deliveryRoutes(
  db: Db,
  define: Define,
  own: (caller: Caller, id: string, conn?: Conn) => Promise<Subscription>,
) {
  define<undefined, z.infer<typeof idParams>, z.infer<typeof deliveriesQuery>>({
    method: 'GET',
    url: '/v1/webhook-subscriptions/:id/deliveries',
    summary: 'The subscription’s deliveries (newest first, cursor-paginated): status, attempts, last answer',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    query: deliveriesQuery,
    async handler({ params, query, caller }) {
      await own(caller, params.id);
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      if (after && !DIGITS.test(after.id))
        throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
      const rows = await db.webhookDelivery.findMany({
        where: {
          subscriptionId: params.id,
          status: query.status,
          ...(after
            ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: BigInt(after.id) } }] }
            : {}),
        },
        include: {
          event: { select: { type: true, occurredAt: true } },
          attemptLog: { orderBy: { id: 'desc' }, take: 10 },
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        items: page.map(deliveryView),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, String(last.id)) : null,
      };
    },
  });

  define<undefined, z.infer<typeof eventParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/deliveries/:eventId/redeliver',
    summary: 'Send one event to this endpoint again (same webhook-id), after the order’s earlier pending events',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: eventParams,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, caller, reply, tx }) {
      const conn = tx ?? db;
      const sub = await own(caller, params.id, conn);
      const event = await conn.outboundEvent.findUnique({ where: { id: params.eventId } });
      if (!event || (sub.merchantId && event.merchantId !== sub.merchantId))
        throw problems.notFound(`event ${params.eventId}`);
      await requeue(conn, sub.id, [event]);
      reply.status(202);
      return { subscriptionId: sub.id, eventIds: [event.id], status: 'pending' };
    },
  });

  define<z.infer<typeof rangeBody>, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/redeliver',
    summary: 'Send again every event the subscription asks for that occurred in [from, to), same webhook-ids',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    body: rangeBody,
    idempotency: { via: 'transaction', required: false },
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
      await requeue(conn, sub.id, wanted);
      reply.status(202);
      return { subscriptionId: sub.id, eventIds: wanted.map((e) => e.id), status: 'pending' };
    },
  });
}

/** Each event's delivery back to pending for a new round of attempts (created where it never existed). */
async function requeue(
  conn: Conn,
  subscriptionId: string,
  events: Array<{ id: string; orderId: string; seq: number }>,
) {
  for (const e of events)
    await conn.webhookDelivery.upsert({
      where: { subscriptionId_eventId: { subscriptionId, eventId: e.id } },
      create: { subscriptionId, eventId: e.id, orderId: e.orderId, seq: e.seq },
      update: { status: 'pending', attempts: 0, nextAttemptAt: new Date(), deliveredAt: null },
    });
}

type DeliveryRow = Awaited<ReturnType<Db['webhookDelivery']['findMany']>>[number] & {
  event: { type: string; occurredAt: Date };
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
