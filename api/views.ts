import { allowedActions, type OrderState, type SupportFlag } from '../domain';
import type { AppDeps } from './deps';
import { queryOrder } from './temporal';

/**
 * GET /v1/orders/{id}: the read model the workflow writes at every step (state snapshot, timeline,
 * payment and tracking records). `live` (support's `?live=true`) asks the running workflow instead,
 * e.g. to see a state the worker has not projected because it is down; a query costs the worker a
 * workflow task, which is why it is not the default (decision 068).
 */
export async function loadOrderDetail(
  { db, temporal, config }: AppDeps,
  orderId: string,
  opts: { live?: boolean } = {},
) {
  const live = opts.live ? await queryOrder(temporal, orderId) : undefined;
  // One statement (relations joined in PostgreSQL, decision 111): the timeline never shows an entry
  // whose state is not in the row beside it, with no transaction around the read.
  const row = await db.order.findUnique({
    where: { id: orderId },
    relationLoadStrategy: 'join',
    include: {
      events: { orderBy: { seq: 'asc' } },
      payments: { orderBy: { createdAt: 'asc' } },
      refunds: { orderBy: { createdAt: 'asc' } },
      supportFlags: { orderBy: { id: 'asc' } },
      shipments: { orderBy: { seq: 'asc' }, include: { events: { orderBy: { occurredAt: 'asc' } } } },
    },
  });
  const state = live ?? (row?.snapshot as unknown as OrderState | undefined);
  if (!state) return undefined;
  const view = orderView(state);
  return {
    ...view,
    live: Boolean(live),
    // A refund the provider reported failed is for support (the money stays decided, not moved).
    // Flags raised at the edge (a notification that disagrees with our books) are for support too.
    flags: [...view.flags, ...refundFlags(row?.refunds ?? []), ...edgeFlags(row?.supportFlags ?? [])],
    payments: state.payments.map((p) => {
      const record = row?.payments.find((r) => r.id === p.paymentId);
      return {
        ...p,
        providerRef: record?.providerRef ?? undefined,
        refunds: (row?.refunds ?? []).filter((r) => r.paymentId === p.paymentId).map(refundView),
      };
    }),
    shipments: state.shipments.map((s) => {
      const record = row?.shipments.find((r) => r.id === s.shipmentId);
      // The shipment's own record follows every scan; the order hears only milestones.
      return {
        ...s,
        status: record?.status ?? s.status,
        deliveryAttempts: record?.deliveryAttempts ?? s.deliveryAttempts ?? 0,
        courier: record?.courier ?? s.courier,
        trackingNumber: record?.trackingNumber ?? s.trackingNumber,
        tracking: (record?.events ?? []).map((e) => ({
          eventId: e.eventId,
          type: e.type,
          location: e.location,
          signedBy: e.signedBy,
          occurredAt: e.occurredAt,
        })),
      };
    }),
    timeline: (row?.events ?? []).map((e) => ({
      seq: e.seq,
      type: e.type,
      actor: e.actor,
      detail: e.detail,
      at: e.occurredAt,
    })),
    links: {
      temporalUi: `${config.TEMPORAL_UI_URL}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows/order-${orderId}`,
    },
  };
}

/**
 * One refund of a payment: the decision (amount, reason, when) and its money movement's state —
 * `pending` until the provider confirms it (wallets: by notification), then `succeeded` or `failed`.
 */
export function refundView(r: {
  id: string;
  kind: string;
  amount: number;
  reason: string;
  status: string;
  createdAt: Date;
  confirmedAt: Date | null;
}) {
  return {
    id: r.id,
    kind: r.kind,
    amount: r.amount,
    reason: r.reason,
    status: r.status,
    at: r.createdAt,
    confirmedAt: r.confirmedAt,
  };
}

/** `refund_failed` flags derived from the order's refund rows (the order workflow does not raise them). */
export function refundFlags(
  refunds: Array<{
    id: string;
    paymentId: string;
    amount: number;
    status: string;
    confirmedAt: Date | null;
    createdAt: Date;
  }>,
): SupportFlag[] {
  return refunds
    .filter((r) => r.status === 'failed')
    .map((r) => ({
      kind: 'refund_failed',
      at: (r.confirmedAt ?? r.createdAt).toISOString(),
      detail: { refundId: r.id, paymentId: r.paymentId, amount: r.amount },
    }));
}

/** Flags the API raised (order_flags), e.g. `payment_mismatch` with both values. */
export function edgeFlags(rows: Array<{ kind: string; detail: unknown; at: Date }>): SupportFlag[] {
  return rows.map((f) => ({
    kind: f.kind as SupportFlag['kind'],
    at: f.at.toISOString(),
    detail: f.detail as Record<string, unknown>,
  }));
}

/** The public shape of an order's state (lines carry their ledger). */
export function orderView(s: OrderState) {
  return {
    id: s.orderId,
    status: s.status,
    /** What the order admits now (domain/actions.ts); windows and amounts are checked when an action is asked. */
    allowedActions: allowedActions(s),
    channel: s.channel,
    merchantId: s.merchantId,
    customerId: s.customerId,
    paymentMethod: s.paymentMethod,
    lines: s.lines.map(
      ({ lineNo, sku, name, unitPrice, quantity, substituteFor, substituted = 0, discount = 0, gift, ...ledger }) => ({
        lineNo,
        sku,
        name,
        unitPrice,
        quantity,
        discount,
        /** What the customer pays for the line (docs/pricing.md). */
        paid: unitPrice * quantity - discount,
        gift: gift ?? false,
        substituteFor: substituteFor ?? null,
        ledger: { ordered: quantity, ...ledger, substituted },
      }),
    ),
    totals: s.totals,
    adjustments: s.adjustments ?? [],
    payments: s.payments,
    shipments: s.shipments,
    pendingDecision: s.pendingDecision ?? null,
    shortage: s.shortage ?? null,
    unshipped: s.unshipped ?? null,
    flags: s.flags ?? [],
    cancellation: s.cancellation ?? null,
    rejection: s.rejection ?? null,
    risk: s.risk ?? null,
    receiptExtended: s.receiptExtended,
    submittedAt: s.submittedAt,
    deliveredAt: s.deliveredAt ?? null,
    completedAt: s.completedAt ?? null,
    afterSales: s.afterSales ?? [],
    points: s.points ?? null,
  };
}
