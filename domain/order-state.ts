import type { AfterSalesSummary } from './after-sales';
import type {
  OrderInput,
  OrderLine,
  OrderStatus,
  PaymentMethod,
  PaymentView,
  PendingDecision,
  PriceAdjustment,
  ShipmentLine,
  ShipmentView,
  ShortLine,
  Totals,
} from './order';

// The live state of an order, apart from domain/order.ts (requests, lines, views): the state lists
// the order's after-sales requests, and domain/after-sales.ts builds on the order's lines and views,
// so keeping both in order.ts made the two modules import each other.

/**
 * A condition support must look at; the order may go on regardless. `refund_failed` is not raised by
 * the order workflow: the order view derives it from a refund the provider reported failed.
 */
export interface SupportFlag {
  kind: 'merchant_sla_expired' | 'shipment_sla_expired' | 'cod_mismatch' | 'refund_failed' | 'payment_mismatch';
  at: string;
  detail?: Record<string, unknown>;
}

export interface RiskHold {
  decision: 'review' | 'step_up';
  reason: string;
  /** approved / rejected once decided; by whom (support key, platform, or the window's default). */
  outcome?: 'approved' | 'rejected';
  decidedBy?: string;
  note?: string;
}

/** The live state of one order, as the workflow holds it and its query returns it. */
export interface OrderState {
  orderId: string;
  merchantId: string;
  customerId: string;
  channel: string;
  status: OrderStatus;
  paymentMethod: PaymentMethod;
  lines: OrderLine[];
  totals: Totals;
  /** How the price came about (domain/pricing); absent when the order was sold at list price. */
  adjustments?: PriceAdjustment[];
  payments: PaymentView[];
  shipments: ShipmentView[];
  pendingDecision?: PendingDecision;
  /** While the customer decides about a shortage, and while backordered: what is missing. */
  shortage?: ShortLine[];
  /** Allocated stock per warehouse the merchant has yet to ship (merchants that ship by hand). */
  unshipped?: Array<{ warehouseId: string; lines: ShipmentLine[] }>;
  flags?: SupportFlag[];
  cancellation?: { reason: string; actor: string };
  rejection?: { reason: string };
  /** Risk control's assessment when it held the order (review or step-up), and how it was resolved. */
  risk?: RiskHold;
  receiptExtended: boolean;
  deliveredAt?: string;
  completedAt?: string;
  /** After-sales requests on this order (docs/after-sales.md), each a child workflow. */
  afterSales: AfterSalesSummary[];
  /** Membership points credited at completion and reversed on later refunds. */
  points?: { credited: number; reversed: number };
  submittedAt: string;
  /** Increases with every projection, so late writes never overwrite newer ones. */
  version: number;
}

/** The state of an order the moment it is accepted, before any step has run. */
export function initialOrderState(input: OrderInput): OrderState {
  return {
    orderId: input.orderId,
    merchantId: input.merchantId,
    customerId: input.customer.id,
    channel: input.channel,
    status: 'submitted',
    paymentMethod: input.paymentMethod,
    lines: input.lines.map((l) => ({ ...l })),
    totals: input.totals,
    ...(input.adjustments?.length ? { adjustments: input.adjustments } : {}),
    payments: [],
    shipments: [],
    receiptExtended: false,
    afterSales: [],
    submittedAt: input.submittedAt,
    version: 1,
  };
}

/** The first timeline entry of every order. */
export function submittedEntry(input: OrderInput) {
  return {
    type: 'order.submitted',
    actor: 'platform',
    detail: { channel: input.channel, total: input.totals.total },
    at: input.submittedAt,
  };
}

/** One entry of an order's timeline: what happened, who did it. */
export interface TimelineEntry {
  type: string;
  actor: string;
  detail?: Record<string, unknown>;
  at: string;
}
