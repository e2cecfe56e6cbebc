import type { Address, OrderLine, PaymentMethod, PendingDecision, ShipmentView, ShortLine } from './order';
import { DEFAULT_POLICY, type Policy } from './policy';
import type { PricedSubstitution, StockDecisionKind } from './shortage';

/** After-sales (docs/after-sales.md): what a customer may ask for once goods were delivered. */
export const afterSalesTypes = ['return', 'exchange', 'repair', 'compensation'] as const;
export type AfterSalesType = (typeof afterSalesTypes)[number];

/** Reason codes; `no_reason` is the 7-day no-questions-asked return (七天无理由). */
export const afterSalesReasons = [
  'no_reason',
  'defective',
  'damaged_in_transit',
  'wrong_item',
  'not_as_described',
  'other',
] as const;
export type AfterSalesReason = (typeof afterSalesReasons)[number];

export const compensationKinds = ['refund', 'coupon', 'points'] as const;
export type CompensationKind = (typeof compensationKinds)[number];

/** A merchant's inspection of returned goods (POST /v1/after-sales/{id}/inspection; validated by after-sales.schema.ts). */
export interface InspectionBody {
  lines: { sku: string; condition: 'ok' | 'damaged'; note?: string }[];
  /** Overrides the default refund (the value of the units found ok), e.g. a partial refund for damaged goods. */
  refundAmount?: number;
}

export const afterSalesStatuses = [
  'awaiting_decision',
  'awaiting_return', // approved; the customer must hand the parcel to the courier before the deadline
  'returning',
  'awaiting_inspection',
  'resolving',
  'awaiting_stock_decision', // exchange: the replacement is short; the customer decides (docs/after-sales.md)
  'backordered', // exchange: the replacement waits for a restock
  'shipping_back', // replacement or repaired goods on their way to the customer
  'completed',
  'rejected',
  'expired', // the customer never shipped the goods back
  'cancelled', // the return parcel never reached the warehouse
] as const;
export type AfterSalesStatus = (typeof afterSalesStatuses)[number];
export const FINAL_AFTER_SALES: readonly AfterSalesStatus[] = ['completed', 'rejected', 'expired', 'cancelled'];

/** One line of a request: what the order line was, how many units, and what inspection found. */
export interface AfterSalesLine {
  lineNo: number;
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  /** What these units were paid (docs/pricing.md); absent on requests made before pricing: unitPrice × quantity. */
  paid?: number;
  /** Warehouse the goods go back to (the one that shipped them). */
  warehouseId: string;
  condition?: 'ok' | 'damaged';
  note?: string;
}

export interface AfterSalesResolution {
  outcome: 'refunded' | 'exchanged' | 'repaired' | 'compensated';
  refunded: number;
  refunds: Array<{ paymentId: string; amount: number; method: PaymentMethod }>;
  coupon?: { code: string; amount: number; currency: string };
  points?: number;
  /** Units of an exchange that were not replaced (given up at a shortage, or not delivered) and were refunded instead. */
  refundedInstead?: Array<{ lineNo: number; quantity: number }>;
}

/** The customer's answer to an exchange's shortage, as the request shows it. */
export interface AfterSalesStockDecision {
  decision: StockDecisionKind;
  substitutions?: PricedSubstitution[];
  actor: string;
  at: string;
  /** Money refunded by this decision (given-up units, a cheaper substitute's difference). */
  refunded: number;
}

/** What the order workflow hands a new request's child workflow. */
export interface AfterSalesInput {
  requestId: string;
  orderId: string;
  orderWorkflowId: string;
  merchantId: string;
  customerId: string;
  type: AfterSalesType;
  reason: AfterSalesReason;
  description?: string;
  evidenceUrls: string[];
  compensation?: { kind: CompensationKind; amount: number };
  lines: AfterSalesLine[];
  currency: string;
  paymentMethod: PaymentMethod;
  address: Address;
  policy: AfterSalesPolicy;
  /** Shipment numbers of this request start above this (the order's own are below). */
  seqBase: number;
  actor: string;
  requestedAt: string;
}

/** A request's live state: what was asked (from its input), then how far it got. */
export interface AfterSalesState extends Pick<
  AfterSalesInput,
  | 'requestId'
  | 'orderId'
  | 'merchantId'
  | 'customerId'
  | 'type'
  | 'reason'
  | 'description'
  | 'evidenceUrls'
  | 'compensation'
  | 'lines'
  | 'currency'
  | 'requestedAt'
> {
  status: AfterSalesStatus;
  decision?: { decision: 'approve' | 'reject'; actor: string; reason?: string; at: string };
  /** The return parcel (customer → warehouse) and any outbound one (replacement, repaired goods). */
  shipments: Array<ShipmentView & { direction: 'return' | 'outbound' }>;
  inspection?: { actor: string; refundAmount?: number; at: string };
  /**
   * Exchange: the replacement's own ledger, allocated from stock like an order's lines (line numbers
   * of the order; a substitute is a new line after them with `substituteFor`).
   */
  replacement?: OrderLine[];
  /** Exchange: replacement units missing while the customer decides, and while backordered. */
  shortage?: ShortLine[];
  /** Exchange: the last answer to a shortage (the timeline has every one). */
  stockDecision?: AfterSalesStockDecision;
  resolution?: AfterSalesResolution;
  pendingDecision?: Omit<PendingDecision, 'awaiting' | 'actor'> & {
    awaiting: 'merchant_decision' | 'return_shipment' | 'inspection' | 'stock_decision';
    actor: 'merchant' | 'customer';
  };
  timeline: Array<{ type: string; actor: string; at: string; detail?: Record<string, unknown> }>;
  closedAt?: string;
  version: number;
}

/** How the order lists its requests. */
export interface AfterSalesSummary {
  requestId: string;
  type: AfterSalesType;
  status: AfterSalesStatus;
  lines: Array<{ lineNo: number; sku: string; quantity: number }>;
  /** Money this request may still refund (reserved so concurrent requests never exceed what was paid). */
  reservedAmount: number;
  refunded: number;
  requestedAt: string;
}

/** The after-sales values of a policy (domain/policy.ts). */
export type AfterSalesPolicy = Pick<
  Policy,
  | 'returnWindowSeconds'
  | 'afterSalesDecisionSeconds'
  | 'returnShipSeconds'
  | 'inspectionSeconds'
  | 'afterSalesAutoApproveNoReason'
  | 'afterSalesAutoApproveAmount'
  // An exchange's short replacement is negotiated like an order's shortage.
  | 'stockDecisionSeconds'
  | 'stockDecisionDefault'
  | 'backorderRecheckSeconds'
>;

/** The after-sales part of an order's policy; values an order started before they existed lacks take the defaults. */
export function afterSalesPolicy(policy: Partial<Policy>): AfterSalesPolicy {
  const p = { ...DEFAULT_POLICY, ...policy };
  return {
    returnWindowSeconds: p.returnWindowSeconds,
    afterSalesDecisionSeconds: p.afterSalesDecisionSeconds,
    returnShipSeconds: p.returnShipSeconds,
    inspectionSeconds: p.inspectionSeconds,
    afterSalesAutoApproveNoReason: p.afterSalesAutoApproveNoReason,
    afterSalesAutoApproveAmount: p.afterSalesAutoApproveAmount,
    stockDecisionSeconds: p.stockDecisionSeconds,
    stockDecisionDefault: p.stockDecisionDefault,
    backorderRecheckSeconds: p.backorderRecheckSeconds,
  };
}

/** The money a request puts at stake: its goods' value, or the compensation's refund. */
export function requestValue(input: Pick<AfterSalesInput, 'type' | 'lines' | 'compensation'>): number {
  if (input.type === 'compensation') return input.compensation?.kind === 'refund' ? input.compensation.amount : 0;
  return input.lines.reduce((t, l) => t + paidOf(l), 0);
}

/** What a request line's units were paid: their share of the line's paid amount, or list price on older requests. */
export function paidOf(l: Pick<AfterSalesLine, 'unitPrice' | 'quantity' | 'paid'>): number {
  return l.paid ?? l.unitPrice * l.quantity;
}

/**
 * Auto-approval by policy (docs/after-sales.md): a no-reason return within the window, or anything whose value is
 * at most the merchant's threshold. Returns why, or undefined when the merchant must decide.
 */
export function autoApproval(
  input: Pick<AfterSalesInput, 'type' | 'reason' | 'lines' | 'compensation'>,
  policy: AfterSalesPolicy,
): string | undefined {
  if (input.type === 'return' && input.reason === 'no_reason' && policy.afterSalesAutoApproveNoReason)
    return 'no-reason return within the return window';
  const value =
    input.type === 'compensation' && input.compensation?.kind === 'points'
      ? input.compensation.amount
      : requestValue(input);
  if (value <= policy.afterSalesAutoApproveAmount)
    return `value ${value} within the auto-approval amount ${policy.afterSalesAutoApproveAmount}`;
  return undefined;
}

/** Units of a line that may still be claimed: delivered, less returned, less what open requests hold. */
export function claimableUnits(line: OrderLine, openRequests: readonly AfterSalesSummary[]): number {
  const held = openRequests.reduce(
    (t, r) => t + r.lines.filter((l) => l.lineNo === line.lineNo).reduce((s, l) => s + l.quantity, 0),
    0,
  );
  return line.delivered - line.returned - held;
}

/** Membership points: one per whole currency unit paid (docs/decisions/030-points.md), credited at completion. */
export function pointsFor(paidMinorUnits: number): number {
  return Math.max(0, Math.floor(paidMinorUnits / 100));
}

/** Default refund of a return after inspection: the full value of the units found resellable. */
export function defaultRefund(lines: readonly AfterSalesLine[]): number {
  return lines.filter((l) => l.condition !== 'damaged').reduce((t, l) => t + paidOf(l), 0);
}
