import { z, type ZodType } from 'zod';
import { audited, auditView } from '../audit';
import type { Caller } from '../auth';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import { failingActivities, retryActivityNow, stuckPage } from '../stuck';
import { updateOrder } from '../temporal';
import { loadTimeline } from '../timeline';
import { resendNotifications } from '../resend';
import { loadOrderDetail, orderView } from '../views';
import { cancelAsSupport, extendWindow, refundAsSupport } from '../../contract';
import type { Define } from '../route';
import { orderIdParams } from './orders';
import {
  auditPageSchema,
  orderSchema,
  orderTimelineSchema,
  resentNotificationsSchema,
  retriedStepsSchema,
  stuckOrderPageSchema,
} from '../schemas';
import type { SuccessSpec } from '../openapi';

/** Every support operation says why, and every one is audited (docs/support.md). */
export const reasonField = z.string().trim().min(1).max(500);
export const reasonBody = z.object({ reason: reasonField });

const refundBody = z.object({
  reason: reasonField,
  amount: z.number().int().positive(),
  /** Which payment; by default the first captured one with enough left. */
  paymentId: z.string().min(1).max(100).optional(),
});
const resendBody = z.object({
  reason: reasonField,
  /** One message (its outbox id, shown in the timeline); by default every failed one of the order. */
  notificationId: z.string().min(1).max(300).optional(),
});
const extendBody = z.object({
  reason: reasonField,
  seconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86400),
});

const stuckQuery = z.object({
  stuck: z.enum(['true'], { message: "must be 'true': this lists stuck orders (plain lists are GET /v1/orders)" }),
  status: z.string().max(40).optional(),
  customerId: z.string().max(64).optional(),
  merchantId: z.string().max(64).optional(),
  channel: z.string().max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'is not a cursor returned by this API')
    .optional(),
});

const auditQuery = z.object({
  orderId: z.string().max(64).optional(),
  operation: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  // An audit entry's id: a PostgreSQL bigint. zod runs every check, so the range check reads only digits.
  cursor: z
    .string()
    .refine(
      (c) => /^[0-9]{1,19}$/.test(c) && BigInt(c) <= 9_223_372_036_854_775_807n,
      'is not a cursor returned by this API',
    )
    .optional(),
});

export interface OperationInput<B> {
  orderId: string;
  body: B;
  caller: Caller;
  /** What the audit entry should keep besides the outcome. */
  details: Record<string, unknown>;
  /** From the Idempotency-Key: the Update id a retry repeats (api/idempotency.ts). */
  updateId?: string;
}

/**
 * Declares `POST /v1/ops/orders/{id}/<name>` for support: the body carries a `reason`, the order must
 * exist (404 otherwise), and the attempt is audited whether it succeeds, is refused or fails.
 */
export function defineOperation<B extends { reason: string }>(
  { db }: AppDeps,
  define: Define,
  spec: {
    name: string;
    /** As for define(): the operation's name in /openapi.json and the generated client. */
    operationId: string;
    response?: SuccessSpec;
    summary: string;
    body: ZodType<B>;
    run(input: OperationInput<B>): Promise<unknown>;
    keyRequired?: boolean;
  },
) {
  define<B, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: `/v1/ops/orders/:id/${spec.name}`,
    operationId: spec.operationId,
    response: spec.response,
    summary: `${spec.summary} (support; reason required; audited)`,
    tags: ['ops'],
    auth: ['support'],
    params: orderIdParams,
    body: spec.body,
    idempotency: { via: 'update', required: spec.keyRequired ?? false },
    handler: ({ params, body, caller, updateId }) =>
      audited(
        db,
        { caller, operation: `order.${spec.name}`, orderId: params.id, reason: body.reason },
        async (details) => {
          if (!(await db.order.findUnique({ where: { id: params.id }, select: { id: true } })))
            throw problems.notFound(`order ${params.id}`);
          return spec.run({ orderId: params.id, body, caller, details, updateId });
        },
      ),
  });
}

/** Support's routes: the audit log (and, below, stuck orders and operations). */
export function opsRoutes(deps: AppDeps, define: Define) {
  const { db } = deps;

  define<undefined, undefined, z.infer<typeof stuckQuery>>({
    method: 'GET',
    url: '/v1/ops/orders',
    operationId: 'listStuckOrders',
    response: { schema: stuckOrderPageSchema },
    summary: 'Stuck orders with their reasons and since when, longest stuck first (stuck=true)',
    tags: ['ops'],
    auth: ['support'],
    query: stuckQuery,
    async handler({ query }) {
      const { limit, cursor, stuck: _stuck, ...filter } = query;
      const page = await stuckPage(deps, filter, limit, cursor);
      if (!page)
        throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
      return page;
    },
  });

  defineOperation(deps, define, {
    name: 'retry',
    operationId: 'retryOrderSteps',
    response: { schema: retriedStepsSchema },
    summary:
      "Retry the order's failing steps now (activities of the order and its shipments waiting for their next attempt)",
    body: reasonBody,
    async run({ orderId, caller, details }) {
      const { closed, activities } = await failingActivities(deps.temporal, orderId);
      if (closed)
        throw problems.conflict(
          'not-allowed-in-state',
          `the order's workflow is ${closed}; nothing can be retried (see the timeline and Temporal's UI)`,
        );
      if (activities.length === 0) throw problems.conflict('nothing-to-retry', 'no step of this order is failing');
      const retried = [];
      for (const a of activities)
        if (await retryActivityNow(deps.temporal, a, `support:${caller.name}`)) retried.push(a);
      if (retried.length === 0)
        throw problems.conflict('nothing-to-retry', 'the failing steps got through on their own meanwhile');
      details.retried = retried;
      return { retried, order: await loadOrderDetail(deps, orderId) };
    },
  });

  define<undefined, z.infer<typeof orderIdParams>, undefined>({
    method: 'GET',
    url: '/v1/ops/orders/:id/timeline',
    operationId: 'getOrderTimeline',
    response: { schema: orderTimelineSchema },
    summary:
      "One order's timeline: business events, courier scans and support operations merged with a summary of its workflow histories; links into Temporal's UI",
    tags: ['ops'],
    auth: ['support'],
    params: orderIdParams,
    async handler({ params }) {
      const timeline = await loadTimeline(deps, params.id);
      if (!timeline) throw problems.notFound(`order ${params.id}`);
      return timeline;
    },
  });

  const actor = (caller: Caller) => `support:${caller.name}`;

  defineOperation(deps, define, {
    name: 'refund',
    operationId: 'refundAsSupport',
    response: { schema: orderSchema },
    summary: 'Refund an amount of a captured payment (never above captured − refunded) while the order runs',
    body: refundBody,
    keyRequired: true,
    async run({ orderId, body, caller, details, updateId }) {
      Object.assign(details, { amount: body.amount, paymentId: body.paymentId });
      return orderView(
        await updateOrder(
          deps.temporal,
          orderId,
          refundAsSupport,
          { reason: body.reason, amount: body.amount, paymentId: body.paymentId, actor: actor(caller) },
          updateId,
        ),
      );
    },
  });

  defineOperation(deps, define, {
    name: 'extend',
    operationId: 'extendWindowAsSupport',
    response: { schema: orderSchema },
    summary: 'Extend the pending window (merchant SLA or receipt confirmation) by some seconds',
    body: extendBody,
    async run({ orderId, body, caller, details, updateId }) {
      const state = await updateOrder(
        deps.temporal,
        orderId,
        extendWindow,
        { reason: body.reason, seconds: body.seconds, actor: actor(caller) },
        updateId,
      );
      Object.assign(details, {
        seconds: body.seconds,
        awaiting: state.pendingDecision?.awaiting,
        until: state.pendingDecision?.until,
      });
      return orderView(state);
    },
  });

  defineOperation(deps, define, {
    name: 'cancel',
    operationId: 'cancelAsSupport',
    response: { schema: orderSchema },
    summary:
      'Cancel at any point before delivery: shipments with the courier are recalled, stock returns, payments are refunded',
    body: reasonBody,
    keyRequired: true,
    async run({ orderId, body, caller, details, updateId }) {
      const state = await updateOrder(
        deps.temporal,
        orderId,
        cancelAsSupport,
        { reason: body.reason, actor: actor(caller) },
        updateId,
      );
      details.refunded = state.payments.reduce((t, p) => t + p.refunded, 0);
      return orderView(state);
    },
  });

  defineOperation(deps, define, {
    name: 'resend-notification',
    operationId: 'resendNotification',
    response: { schema: resentNotificationsSchema },
    summary:
      "Send an order's notification again through the outbox: a failed one is queued again, a sent one is copied under a new key",
    body: resendBody,
    async run({ orderId, body, details }) {
      const queued = await resendNotifications(db, orderId, body.notificationId);
      details.queued = queued;
      return { queued };
    },
  });

  define<undefined, undefined, z.infer<typeof auditQuery>>({
    method: 'GET',
    url: '/v1/ops/audit',
    operationId: 'listAuditEntries',
    response: { schema: auditPageSchema },
    summary: 'The audit log of support operations, newest first (filters orderId, operation; cursor-paginated)',
    tags: ['ops'],
    auth: ['support'],
    query: auditQuery,
    async handler({ query }) {
      const rows = await db.auditEntry.findMany({
        where: {
          orderId: query.orderId,
          operation: query.operation,
          ...(query.cursor ? { id: { lt: BigInt(query.cursor) } } : {}),
        },
        orderBy: { id: 'desc' },
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      return {
        items: page.map(auditView),
        nextCursor: rows.length > query.limit ? page[page.length - 1].id.toString() : null,
      };
    },
  });
}
