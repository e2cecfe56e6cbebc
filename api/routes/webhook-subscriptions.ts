import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { generateSecret } from '../../adapters/outbound-webhooks';
import { urlRefusal, urlShapeProblem } from '../../adapters/url-guard';
import {
  eventTypePattern,
  previousSecretExpiry,
  previousSecretSignsUntil,
  SECRET_OVERLAP_DEFAULT_SECONDS,
  secretOverlapSeconds,
} from '../../domain';
import type { Prisma } from '../../prisma/generated/client';
import type { Db } from '../../store/db';
import { alignDeliveries } from '../../store/outbound-events';
import type { Caller } from '../auth';
import { decodeCursor, encodeCursor } from '../cursor';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import {
  webhookSubscriptionPageSchema,
  webhookSubscriptionSchema,
  webhookSubscriptionWithSecretSchema,
} from '../schemas';

/**
 * Platforms subscribe to order events instead of polling (docs/notifications.md, "Outbound events"):
 * subscriptions, their delivery log and manual redelivery. A merchant's subscription sees
 * its own orders only; a platform key sees the subscriptions it made; support sees all.
 */
export type Conn = Db | Prisma.TransactionClient;
export type Subscription = Awaited<ReturnType<Db['webhookSubscription']['findUniqueOrThrow']>>;

export const ROLES = ['platform', 'merchant', 'support'] as const;
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
/** How long the replaced secret keeps signing beside the new one (decision 074); absent body = the default. */
const rotateBody = z
  .object({ previousSecretExpiresInSeconds: secretOverlapSeconds.default(SECRET_OVERLAP_DEFAULT_SECONDS) })
  .strict();
export const idParams = z.object({ id: z.string().min(1).max(100) });
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

/** The public shape; the secret only in the answers that create it. */
const subscriptionView = (s: Subscription) => ({
  id: s.id,
  url: s.url,
  eventTypes: s.eventTypes,
  enabled: s.enabled,
  disabledReason: s.disabledReason,
  failingSince: s.failingSince,
  previousSecretExpiresAt: previousSecretSignsUntil(s, new Date()),
  merchantId: s.merchantId,
  owner: { role: s.ownerRole, name: s.ownerName },
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

export const visibleTo = (caller: Caller): Prisma.WebhookSubscriptionWhereInput =>
  caller.role === 'support'
    ? {}
    : caller.role === 'merchant'
      ? { merchantId: caller.merchantId }
      : { ownerRole: caller.role, ownerName: caller.name };

/** The caller's subscription, or 404 (another caller's is not said to exist). */
export async function ownSubscription(conn: Conn, caller: Caller, id: string): Promise<Subscription> {
  const sub = await conn.webhookSubscription.findFirst({ where: { id, ...visibleTo(caller) } });
  if (!sub) throw problems.notFound(`webhook subscription ${id}`);
  return sub;
}

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
  const own = (caller: Caller, id: string, conn: Conn = db) => ownSubscription(conn, caller, id);
  /** Changes a subscription the caller may see (404 otherwise), inside the write's transaction when there is one. */
  const updateOwn = async (caller: Caller, id: string, conn: Conn, data: Prisma.WebhookSubscriptionUpdateInput) => {
    await own(caller, id, conn);
    return conn.webhookSubscription.update({ where: { id }, data });
  };

  define<z.infer<typeof createBody>, undefined, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions',
    operationId: 'createWebhookSubscription',
    summary: 'Subscribe an endpoint to order events; the signing secret is shown in this answer only',
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    body: createBody,
    idempotency: { via: 'transaction', required: false },
    response: { status: 201, schema: webhookSubscriptionWithSecretSchema },
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
    operationId: 'listWebhookSubscriptions',
    summary: 'List webhook subscriptions (newest first, cursor-paginated)',
    response: { schema: webhookSubscriptionPageSchema },
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
    operationId: 'getWebhookSubscription',
    summary: 'One webhook subscription',
    response: { schema: webhookSubscriptionSchema },
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    handler: async ({ params, caller }) => subscriptionView(await own(caller, params.id)),
  });

  define<z.infer<typeof patchBody>, z.infer<typeof idParams>, undefined>({
    method: 'PATCH',
    url: '/v1/webhook-subscriptions/:id',
    operationId: 'updateWebhookSubscription',
    summary: 'Change a subscription’s url, event types or enabled; enabling clears the failure record',
    response: { schema: webhookSubscriptionSchema },
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
      if (body.enabled !== undefined) await alignDeliveries(conn, sub.id);
      return subscriptionView(sub);
    },
  });

  define<undefined, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/disable',
    operationId: 'disableWebhookSubscription',
    summary: 'Stop delivering to this endpoint (its pending deliveries are parked until it is enabled again)',
    response: { schema: webhookSubscriptionSchema },
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, caller, tx }) {
      const conn = tx ?? db;
      const sub = await updateOwn(caller, params.id, conn, { enabled: false, disabledReason: 'by_owner' });
      await alignDeliveries(conn, sub.id);
      return subscriptionView(sub);
    },
  });

  define<z.infer<typeof rotateBody>, z.infer<typeof idParams>, undefined>({
    method: 'POST',
    url: '/v1/webhook-subscriptions/:id/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary:
      'Replace the signing secret (shown in this answer only); the replaced one also signs until previousSecretExpiresAt',
    response: { schema: webhookSubscriptionWithSecretSchema },
    tags: ['webhook-subscriptions'],
    auth: ROLES,
    params: idParams,
    body: rotateBody,
    idempotency: { via: 'transaction', required: false },
    async handler({ params, body, caller, tx }) {
      const conn = tx ?? db;
      await own(caller, params.id, conn);
      const secret = generateSecret();
      const expiresAt = previousSecretExpiry(body.previousSecretExpiresInSeconds, new Date());
      // One statement: the secret being replaced is read and kept by the row's own update, so two
      // rotations at once cannot lose one another's secret. A rotation during an overlap ends it.
      await conn.$executeRaw`
        UPDATE webhook_subscriptions
        SET previous_secret = CASE WHEN ${expiresAt}::timestamptz IS NULL THEN NULL ELSE secret END,
            previous_secret_expires_at = ${expiresAt}::timestamptz, secret = ${secret}, updated_at = now()
        WHERE id = ${params.id}`;
      const sub = await conn.webhookSubscription.findUniqueOrThrow({ where: { id: params.id } });
      return { ...subscriptionView(sub), secret };
    },
  });
}
