import { createHash, randomBytes } from 'node:crypto';
import type { UpdateDefinition } from '@temporalio/client';
import { z } from 'zod';
import {
  afterSalesDecisionSchema,
  allowedAfterSalesActions,
  afterSalesRequestSchema,
  afterSalesStatuses,
  afterSalesTypes,
  FINAL_AFTER_SALES,
  inspectionSchema,
  stockDecisionSchema,
  type AfterSalesDecisionBody,
  type AfterSalesRequestBody,
  type AfterSalesState,
  type AfterSalesStatus,
  type InspectionBody,
  type StockDecisionRequest,
} from '../../domain';
import {
  afterSalesState,
  afterSalesWorkflowId,
  decideAfterSales,
  decideAfterSalesStock,
  inspectAfterSales,
  orderWorkflowId,
  requestAfterSales,
} from '../../contract';
import type { Caller } from '../auth';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { priceSubstitutes } from '../substitutes';
import { queryWorkflow, updateWorkflow } from '../temporal';
import { decodeCursor, encodeCursor } from '../cursor';
import { orderIdParams } from './orders';
import { afterSalesPageSchema, afterSalesSchema } from '../schemas';

const requestIdParams = z.object({ id: z.string().min(1).max(64) });
const listQuery = z.object({
  status: z.enum(afterSalesStatuses).optional(),
  type: z.enum(afterSalesTypes).optional(),
  orderId: z.string().max(64).optional(),
  merchantId: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const idempotencyHeader = {
  'Idempotency-Key': { description: 'the same key on the same order → the same request (200)' },
};

/**
 * A request's id: derived from the order and the Idempotency-Key when one is sent (so a retry lands
 * on the same request), random otherwise.
 */
function requestIdFor(orderId: string, key: string | undefined): string {
  if (!key) return `as_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
  return `as_${createHash('sha256').update(`${orderId}\n${key}`).digest('hex').slice(0, 24)}`;
}

/** After-sales (docs/after-sales.md): requests by the platform, decisions and inspections by the merchant. */
export function afterSalesRoutes(deps: AppDeps, define: Define) {
  const { db, temporal } = deps;

  /** The request: its live state while it runs, else its read model; tracking from the shipment records. */
  async function loadRequest(id: string) {
    const row = await db.afterSalesRequest.findUnique({ where: { id } });
    const finished = row && FINAL_AFTER_SALES.includes(row.status as AfterSalesStatus);
    const live = finished ? undefined : await queryWorkflow(temporal, afterSalesWorkflowId(id), afterSalesState);
    const state = live ?? (row?.snapshot as unknown as AfterSalesState | undefined);
    if (!state) return undefined;
    const records = await db.shipment.findMany({
      where: { id: { in: state.shipments.map((s) => s.shipmentId) } },
      include: { events: { orderBy: { occurredAt: 'asc' } } },
    });
    return { state, live: Boolean(live), records };
  }

  async function visibleRequest(id: string, caller: Caller) {
    const found = await loadRequest(id);
    if (!found || (caller.role === 'merchant' && found.state.merchantId !== caller.merchantId))
      throw problems.notFound(`after-sales request ${id}`);
    return found;
  }

  /** A request's Update (its validator answers 409/422 at once), then the request as it now reads. */
  async function updateRequest<Arg>(
    id: string,
    update: UpdateDefinition<AfterSalesState, [Arg]>,
    arg: Arg,
    updateId?: string,
  ) {
    await updateWorkflow(temporal, afterSalesWorkflowId(id), update, arg, 'the request has finished', updateId);
    return view((await loadRequest(id))!);
  }

  function view({ state: s, live, records }: NonNullable<Awaited<ReturnType<typeof loadRequest>>>) {
    const { requestId, version: _v, shipments, ...rest } = s;
    return {
      id: requestId,
      ...rest,
      allowedActions: allowedAfterSalesActions(s),
      pendingDecision: s.pendingDecision ?? null,
      decision: s.decision ?? null,
      inspection: s.inspection ?? null,
      shortage: s.shortage ?? null,
      stockDecision: s.stockDecision ?? null,
      resolution: s.resolution ?? null,
      shipments: shipments.map((sh) => {
        const record = records.find((r) => r.id === sh.shipmentId);
        return {
          ...sh,
          status: record?.status ?? sh.status,
          courier: record?.courier ?? sh.courier,
          trackingNumber: record?.trackingNumber ?? sh.trackingNumber,
          tracking: (record?.events ?? []).map((e) => ({
            eventId: e.eventId,
            type: e.type,
            location: e.location,
            signedBy: e.signedBy,
            occurredAt: e.occurredAt,
          })),
        };
      }),
      live,
    };
  }

  define<AfterSalesRequestBody, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/after-sales',
    operationId: 'requestAfterSales',
    // 201 a new request; 200 the same request again for a replayed Idempotency-Key.
    response: { status: [201, 200], schema: afterSalesSchema },
    summary: 'Request a return, exchange, repair or compensation within the return window',
    tags: ['after-sales'],
    auth: ['platform'],
    params: orderIdParams,
    body: afterSalesRequestSchema,
    headers: idempotencyHeader,
    idempotency: { via: 'custom', required: false },
    async handler({ params, body, caller, req, reply }) {
      const order = await db.order.findUnique({ where: { id: params.id }, select: { id: true } });
      if (!order) throw problems.notFound(`order ${params.id}`);
      const key = req.headers['idempotency-key'];
      const requestId = requestIdFor(
        params.id,
        typeof key === 'string' && key.length > 0 ? key.slice(0, 200) : undefined,
      );
      // A closed order has passed its return window (it stays open until then).
      const summary = await updateWorkflow(
        temporal,
        orderWorkflowId(params.id),
        requestAfterSales,
        {
          requestId,
          type: body.type,
          lines: body.lines,
          reason: body.reason,
          description: body.description,
          evidenceUrls: body.evidenceUrls,
          compensation: body.compensation,
          actor: `${caller.role}:${caller.name}`,
        },
        'the return window has ended and the order is closed',
      );
      const sameRequest =
        summary.type === body.type &&
        JSON.stringify(summary.lines.map(({ sku, quantity }) => ({ sku, quantity }))) ===
          JSON.stringify(body.lines.map(({ sku, quantity }) => ({ sku, quantity })));
      if (!sameRequest)
        throw problems.conflict(
          'idempotency-key-reused',
          'this Idempotency-Key was used for a different after-sales request on this order',
        );
      const found = await loadRequest(summary.requestId);
      reply.status(summary.replayed ? 200 : 201).header('location', `/v1/after-sales/${summary.requestId}`);
      return found ? view(found) : { id: summary.requestId, ...summary, replayed: undefined };
    },
  });

  define<undefined, undefined, z.infer<typeof listQuery>>({
    method: 'GET',
    url: '/v1/after-sales',
    operationId: 'listAfterSales',
    response: { schema: afterSalesPageSchema },
    summary: 'List after-sales requests (newest first, cursor-paginated), e.g. those awaiting the merchant',
    tags: ['after-sales'],
    auth: ['platform', 'merchant', 'support'],
    query: listQuery,
    async handler({ query, caller }) {
      if (caller.role === 'merchant' && query.merchantId && query.merchantId !== caller.merchantId)
        throw problems.forbidden('a merchant key lists only its own requests');
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await db.afterSalesRequest.findMany({
        where: {
          status: query.status,
          type: query.type,
          orderId: query.orderId,
          merchantId: caller.role === 'merchant' ? caller.merchantId : query.merchantId,
          ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
      });
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((r) => {
          const s = r.snapshot as unknown as AfterSalesState;
          return {
            id: r.id,
            orderId: r.orderId,
            merchantId: r.merchantId,
            customerId: r.customerId,
            type: r.type,
            status: r.status,
            pendingDecision: s.pendingDecision ?? null,
            createdAt: r.createdAt,
            updatedAt: r.updatedAt,
          };
        }),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  });

  define<undefined, z.infer<typeof requestIdParams>, undefined>({
    method: 'GET',
    url: '/v1/after-sales/:id',
    operationId: 'getAfterSalesRequest',
    response: { schema: afterSalesSchema },
    summary: 'One after-sales request and its progress (decision, return tracking, inspection, resolution)',
    tags: ['after-sales'],
    auth: ['platform', 'merchant', 'support'],
    params: requestIdParams,
    handler: async ({ params, caller }) => view(await visibleRequest(params.id, caller)),
  });

  define<AfterSalesDecisionBody, z.infer<typeof requestIdParams>, undefined>({
    method: 'POST',
    url: '/v1/after-sales/:id/decision',
    operationId: 'decideAfterSales',
    response: { schema: afterSalesSchema },
    summary: 'The merchant approves or rejects a request (within its SLA, else it is approved)',
    tags: ['after-sales'],
    auth: ['merchant'],
    params: requestIdParams,
    body: afterSalesDecisionSchema,
    // An approval may refund (compensation, a refund-only return).
    idempotency: { via: 'update', required: true },
    async handler({ params, body, caller, updateId }) {
      await visibleRequest(params.id, caller);
      return updateRequest(params.id, decideAfterSales, { ...body, actor: `merchant:${caller.name}` }, updateId);
    },
  });

  define<InspectionBody, z.infer<typeof requestIdParams>, undefined>({
    method: 'POST',
    url: '/v1/after-sales/:id/inspection',
    operationId: 'inspectAfterSales',
    response: { schema: afterSalesSchema },
    summary: 'The merchant records the returned goods per line (ok / damaged) and optionally the refund amount',
    tags: ['after-sales'],
    auth: ['merchant'],
    params: requestIdParams,
    body: inspectionSchema,
    // The inspection decides the refund and returns stock.
    idempotency: { via: 'update', required: true },
    async handler({ params, body, caller, updateId }) {
      await visibleRequest(params.id, caller);
      return updateRequest(params.id, inspectAfterSales, { ...body, actor: `merchant:${caller.name}` }, updateId);
    },
  });

  define<StockDecisionRequest, z.infer<typeof requestIdParams>, undefined>({
    method: 'POST',
    url: '/v1/after-sales/:id/stock-decision',
    operationId: 'decideAfterSalesStock',
    response: { schema: afterSalesSchema },
    summary:
      "The customer decides about an exchange's short replacement: wait_for_restock, substitute (same price or cheaper), partial or cancel",
    tags: ['after-sales'],
    // As POST /v1/orders/{id}/stock-decision: the platform relays the customer's choice.
    auth: ['platform'],
    params: requestIdParams,
    body: stockDecisionSchema,
    idempotency: { via: 'update', required: true },
    async handler({ params, body, caller, updateId }) {
      const { state } = await visibleRequest(params.id, caller);
      const substitutions =
        body.substitutions && (await priceSubstitutes(db, body.substitutions, state.merchantId, state.currency));
      return updateRequest(
        params.id,
        decideAfterSalesStock,
        { decision: body.decision, substitutions, actor: `${caller.role}:${caller.name}` },
        updateId,
      );
    },
  });
}
