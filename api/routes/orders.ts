import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import {
  initialOrderState,
  orderStatuses,
  submittedEntry,
  policyOverridesSchema,
  resolveOrderPolicy,
  submitOrderSchema,
  type Quote,
  type OrderInput,
  type OrderState,
  type StockDecisionRequest,
  type SubmitOrderRequest,
  type SupportFlag,
  stockDecisionSchema,
} from '../../domain';
import {
  cancelOrder,
  confirmReceipt,
  decideStock,
  extendReceipt,
  ORDER_WORKFLOW,
  orderWorkflowId,
  orderWorkflowStart,
  type OrderWorkflow,
} from '../../contract';
import type { Caller } from '../auth';
import type { AppDeps } from '../deps';
import { problems } from '../problem';
import type { Define } from '../route';
import { inTransaction, runStatement } from '../../store/db';
import { insertSubmittedOrder } from '../../store/orders';
import { priceCart } from '../../store/pricing';
import { CheckoutRefused, claimCheckout } from '../../store/checkout';
import { stuckPage } from '../stuck';
import { decodeCursor, encodeCursor } from '../cursor';
import { priceSubstitutes } from '../substitutes';
import { updateOrder } from '../temporal';
import { claimKey, KeyTaken, recordOfKey, requestHash } from '../idempotency';
import { edgeFlags, loadOrderDetail, orderView, refundFlags } from '../views';
import { checkoutOf } from './pricing';
import { orderDetailSchema, orderPageSchema, orderSchema } from '../schemas';

export const orderIdParams = z.object({ id: z.string().min(1).max(64) });
/** Every submission reads its merchant's policy overrides, every action its order's owner (hot statements, decision 111). */
const MERCHANT_POLICY = { name: 'merchant-policy', text: `SELECT policy FROM merchants WHERE id = $1` };
const ORDER_OWNER = { name: 'order-owner', text: `SELECT merchant_id AS "merchantId" FROM orders WHERE id = $1` };

/** GET /v1/orders/{id}: the read model, or with `live=true` (support) the running workflow's own answer. */
const detailQuery = z.object({ live: z.enum(['true', 'false']).optional() });
const reasonBody = z.object({ reason: z.string().trim().min(1).max(500) });

const listQuery = z.object({
  status: z.enum(orderStatuses).optional(),
  customerId: z.string().max(64).optional(),
  merchantId: z.string().max(64).optional(),
  channel: z.string().max(40).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  /** true: only stuck orders, with their reasons (api/stuck.ts), longest stuck first. */
  stuck: z.enum(['true', 'false']).optional(),
  /** true: only orders flagged for support (merchant SLA passed, COD mismatch, ...). */
  flagged: z.enum(['true', 'false']).optional(),
});

/** Time-ordered, unguessable order ids: `ord_<ms base36><random hex>`. */
export function newOrderId(): string {
  return `ord_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

export function orderRoutes(deps: AppDeps, define: Define) {
  const { db, temporal, config } = deps;

  /** A merchant sees only its own orders: others are "not found", not "forbidden". */
  async function visibleDetail(orderId: string, caller: Caller, live = false) {
    const detail = await loadOrderDetail(deps, orderId, { live });
    if (!detail || (caller.role === 'merchant' && detail.merchantId !== caller.merchantId))
      throw problems.notFound(`order ${orderId}`);
    return detail;
  }

  /** The same check before acting on an order, from its row alone (every confirmation asks). */
  async function ensureVisible(orderId: string, caller: Caller) {
    const [order] = await runStatement<{ merchantId: string }>(db, ORDER_OWNER, [orderId]);
    if (!order || (caller.role === 'merchant' && order.merchantId !== caller.merchantId))
      throw problems.notFound(`order ${orderId}`);
  }

  /** Prices the order with the same engine as POST /v1/quotes, at this instant; never from the client. */
  async function priced(
    body: SubmitOrderRequest,
    orderId: string,
  ): Promise<{ input: OrderInput; quote: Quote & { ok: true } }> {
    const submittedAt = new Date();
    const quote = await priceCart(db, {
      at: submittedAt,
      channel: body.channel,
      customerId: body.customer.id,
      province: body.shippingAddress.province,
      lines: body.lines,
      ...checkoutOf(config, body),
    });
    if (!quote.ok)
      throw problems.unprocessable(
        'some lines cannot be ordered',
        quote.errors.map((e) => ({ field: e.path, message: e.message })),
      );
    if (body.expectedTotal !== undefined && body.expectedTotal !== quote.totals.total)
      throw problems.conflict(
        'price-changed',
        `the order now costs ${quote.totals.total}, not the expected ${body.expectedTotal}; quote again`,
      );
    const [merchant] = await runStatement<{ policy: unknown }>(db, MERCHANT_POLICY, [quote.merchantId]);
    if (!merchant) throw new Error(`merchant ${quote.merchantId} of a priced cart is not recorded`);
    const input: OrderInput = {
      orderId,
      merchantId: quote.merchantId,
      channel: body.channel,
      customer: body.customer,
      shippingAddress: body.shippingAddress,
      lines: quote.orderLines,
      totals: quote.totals,
      ...(quote.adjustments.length ? { adjustments: quote.adjustments } : {}),
      paymentMethod: body.paymentMethod,
      cardToken: body.card?.token,
      note: body.note,
      policy: resolveOrderPolicy(policyOverridesSchema.parse(merchant.policy), body.policy),
      submittedAt: submittedAt.toISOString(),
    };
    return { input, quote };
  }

  async function workflowExists(orderId: string): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(orderWorkflowId(orderId)).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Starts the order's workflow exactly once; a replay after a crash finds it already there. */
  async function startOrder(input: OrderInput) {
    try {
      await temporal.workflow.start<OrderWorkflow>(ORDER_WORKFLOW, orderWorkflowStart(input, config.TASK_QUEUE));
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  define<SubmitOrderRequest, undefined, undefined>({
    method: 'POST',
    url: '/v1/orders',
    operationId: 'submitOrder',
    // 201 the order as accepted; 200 the same order again for a replayed Idempotency-Key.
    response: { status: [201, 200], schema: orderSchema },
    summary: 'Submit an order (requires Idempotency-Key)',
    tags: ['orders'],
    auth: ['platform'],
    body: submitOrderSchema,
    headers: {
      'Idempotency-Key': {
        description: 'same key and body → the same order (200); same key, other body → 409',
        required: true,
      },
    },
    idempotency: { via: 'custom', required: true },
    async handler({ body, caller, req, reply }) {
      const key = req.headers['idempotency-key'];
      if (typeof key !== 'string' || key.length === 0 || key.length > 200)
        throw problems.validation(
          [{ field: 'Idempotency-Key', message: 'header is required (1-200 characters)' }],
          'request headers',
        );
      const scope = `orders:${caller.name}`;
      const hash = requestHash(body);

      const replay = async (): Promise<unknown> => {
        const record = await recordOfKey(db, scope, key);
        if (!record) return undefined;
        if (record.requestHash !== hash)
          throw problems.conflict(
            'idempotency-key-reused',
            'this Idempotency-Key was used with a different request body',
          );
        // The first attempt died before starting its workflow: start the order it accepted, verbatim.
        if (!(await workflowExists(record.resourceId))) await startOrder(record.payload as unknown as OrderInput);
        reply.status(200);
        return (await loadOrderDetail(deps, record.resourceId)) ?? { id: record.resourceId, status: 'submitted' };
      };

      const previous = await replay();
      if (previous) return previous;
      const { input, quote } = await priced(body, newOrderId());
      try {
        // Accepting an order is one transaction: its key and its first read-model row.
        await inTransaction(db, async (tx) => {
          await claimKey(tx, { scope, key, requestHash: hash, resourceId: input.orderId, payload: input });
          await insertSubmittedOrder(tx, input, initialOrderState(input), submittedEntry(input));
          // What it was priced with is taken atomically, or nothing is recorded (decision 069).
          await claimCheckout(tx, input.orderId, input.customer.id, quote, new Date(input.submittedAt));
        });
      } catch (err) {
        if (err instanceof CheckoutRefused) throw problems.conflict(err.type, err.message);
        if (!(err instanceof KeyTaken)) throw err;
        return replay(); // a concurrent request with the same key won the race
      }
      try {
        await startOrder(input);
      } catch (err) {
        req.log.error({ err, orderId: input.orderId }, 'could not start order workflow');
        throw problems.unavailable(
          'the order was recorded but could not be started; retry with the same Idempotency-Key',
        );
      }
      reply.status(201).header('location', `/v1/orders/${input.orderId}`);
      return orderView(initialOrderState(input));
    },
  });

  define<undefined, z.infer<typeof orderIdParams>, z.infer<typeof detailQuery>>({
    method: 'GET',
    url: '/v1/orders/:id',
    operationId: 'getOrder',
    response: { schema: orderDetailSchema },
    summary: 'One order: status, ledger, payments, shipments with tracking, pending decision, timeline',
    tags: ['orders'],
    auth: ['platform', 'merchant', 'support'],
    params: orderIdParams,
    query: detailQuery,
    handler({ params, query, caller }) {
      if (query.live === 'true' && caller.role !== 'support')
        throw problems.forbidden('live (asking the running workflow) is for support keys only');
      return visibleDetail(params.id, caller, query.live === 'true');
    },
  });

  define<undefined, undefined, z.infer<typeof listQuery>>({
    method: 'GET',
    url: '/v1/orders',
    operationId: 'listOrders',
    response: { schema: orderPageSchema },
    summary: 'List orders (newest first, cursor-paginated)',
    tags: ['orders'],
    auth: ['platform', 'merchant', 'support'],
    query: listQuery,
    async handler({ query, caller }) {
      if (caller.role === 'merchant' && query.merchantId && query.merchantId !== caller.merchantId)
        throw problems.forbidden('a merchant key lists only its own orders');
      if (query.stuck === 'true') {
        const { limit, cursor, stuck: _stuck, ...filter } = query;
        const page = await stuckPage(
          deps,
          { ...filter, merchantId: caller.role === 'merchant' ? caller.merchantId : query.merchantId },
          limit,
          cursor,
        );
        if (!page)
          throw problems.validation([{ field: 'cursor', message: 'is not a cursor returned by this API' }], 'query');
        return {
          items: page.items.map(({ reasons, since, ...o }) => ({
            id: o.orderId,
            status: o.status,
            channel: o.channel,
            merchantId: o.merchantId,
            customerId: o.customerId,
            createdAt: o.createdAt,
            updatedAt: o.updatedAt,
            stuck: { since, reasons },
          })),
          nextCursor: page.nextCursor,
        };
      }
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await db.order.findMany({
        where: {
          status: query.status,
          customerId: query.customerId,
          merchantId: caller.role === 'merchant' ? caller.merchantId : query.merchantId,
          channel: query.channel,
          createdAt: {
            gte: query.from ? new Date(query.from) : undefined,
            lte: query.to ? new Date(query.to) : undefined,
          },
          // Flagged: by the workflow (orders.flags), a refund the provider reported failed, or the edge (order_flags).
          ...(query.flagged === 'true'
            ? {
                AND: [
                  {
                    OR: [
                      { NOT: { flags: { equals: [] } } },
                      { refunds: { some: { status: 'failed' } } },
                      { supportFlags: { some: {} } },
                    ],
                  },
                ],
              }
            : {}),
          ...(after ? { OR: [{ createdAt: { lt: after.at } }, { createdAt: after.at, id: { lt: after.id } }] } : {}),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: query.limit + 1,
        include: { refunds: { where: { status: 'failed' } }, supportFlags: { orderBy: { id: 'asc' } } },
      });
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        items: page.map((o) => ({
          id: o.id,
          status: o.status,
          channel: o.channel,
          merchantId: o.merchantId,
          customerId: o.customerId,
          paymentMethod: o.paymentMethod,
          total: { amount: o.total, currency: o.currency },
          flags: [...(o.flags as unknown as SupportFlag[]), ...refundFlags(o.refunds), ...edgeFlags(o.supportFlags)],
          createdAt: o.createdAt,
          updatedAt: o.updatedAt,
        })),
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
  });

  const action = (
    operationId: string,
    path: string,
    summary: string,
    run: (id: string, caller: Caller, body: { reason?: string }, updateId?: string) => Promise<OrderState>,
    body?: z.ZodType<{ reason?: string }>,
  ) =>
    define<{ reason?: string }, z.infer<typeof orderIdParams>, undefined>({
      method: 'POST',
      url: `/v1/orders/:id/${path}`,
      operationId,
      response: { schema: orderSchema },
      summary,
      tags: ['orders'],
      auth: ['platform', ...(path === 'cancel' ? (['support'] as const) : [])],
      params: orderIdParams,
      body,
      // A cancellation refunds: it needs its key. Confirming and extending are safe to repeat.
      idempotency: { via: 'update', required: path === 'cancel' },
      async handler({ params, caller, body: b, updateId }) {
        await ensureVisible(params.id, caller);
        return orderView(await run(params.id, caller, b ?? {}, updateId));
      },
    });

  define<StockDecisionRequest, z.infer<typeof orderIdParams>, undefined>({
    method: 'POST',
    url: '/v1/orders/:id/stock-decision',
    operationId: 'decideStock',
    response: { schema: orderSchema },
    summary: 'The customer decides about a stock shortage: wait_for_restock, substitute, partial or cancel',
    tags: ['orders'],
    auth: ['platform'],
    params: orderIdParams,
    body: stockDecisionSchema,
    idempotency: { via: 'update', required: true },
    async handler({ params, body, caller, updateId }) {
      const order = await visibleDetail(params.id, caller);
      const substitutions =
        body.substitutions && (await priceSubstitutes(db, body.substitutions, order.merchantId, order.totals.currency));
      return orderView(
        await updateOrder(
          temporal,
          params.id,
          decideStock,
          { decision: body.decision, substitutions, actor: `${caller.role}:${caller.name}` },
          updateId,
        ),
      );
    },
  });

  action(
    'cancelOrder',
    'cancel',
    'Cancel until the first hand-over to the courier (compensating saga)',
    (id, caller, b, updateId) =>
      updateOrder(temporal, id, cancelOrder, { reason: b.reason!, actor: `${caller.role}:${caller.name}` }, updateId),
    reasonBody,
  );
  action(
    'confirmReceipt',
    'confirm-receipt',
    'The customer confirms receipt: the order completes',
    (id, caller, _b, updateId) =>
      updateOrder(temporal, id, confirmReceipt, { actor: `${caller.role}:${caller.name}` }, updateId),
  );
  action('extendReceipt', 'extend-receipt', 'Extend the auto-confirm window once', (id, caller, _b, updateId) =>
    updateOrder(temporal, id, extendReceipt, { actor: `${caller.role}:${caller.name}` }, updateId),
  );
}
