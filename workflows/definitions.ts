import { ApplicationFailure, defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AfterSalesReason,
  AfterSalesState,
  AfterSalesStatus,
  AfterSalesSummary,
  AfterSalesType,
  CompensationKind,
  InspectionBody,
  OrderState,
  PaymentSignal,
  RefundNotice,
  ShipmentStatus,
  ShipmentView,
  StockDecision,
  TrackingSignal,
} from '../domain';

/** Every signal, update and query of the engine, defined once and shared by workflows and the API. */

export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const shipmentWorkflowId = (orderId: string, seq: number) => `shipment-${orderId}-${seq}`;

// Order workflow — fire-and-forget events are signals.
export const paymentNotified = defineSignal<[PaymentSignal]>('paymentNotified');
export const shipmentProgressed = defineSignal<[ShipmentProgress]>('shipmentProgressed');
/** Stock of a SKU this backordered order (or exchange, below) waits for has arrived (restock): look at the queue now. */
export const stockReplenished = defineSignal<[{ sku: string }]>('stockReplenished');

// Order workflow — request/response actions are updates with validators (409/422 at once).
export interface CancelRequest {
  reason: string;
  actor: string;
  /** Support's cancellation: shipments already with the courier are recalled. */
  recall?: boolean;
}
export interface MerchantDecision {
  decision: 'accept' | 'reject';
  reason?: string;
  actor: string;
}
/** A merchant that ships by hand books a courier for one warehouse's allocation, or for all of them. */
export interface ShipRequest {
  courier: string;
  warehouseId?: string;
  actor: string;
}
export const cancelOrder = defineUpdate<OrderState, [CancelRequest]>('cancel');
export const decideStock = defineUpdate<OrderState, [StockDecision]>('stockDecision');
export const shipOrder = defineUpdate<OrderState, [ShipRequest]>('ship');
export const decideAsMerchant = defineUpdate<OrderState, [MerchantDecision]>('merchantDecision');
export const confirmReceipt = defineUpdate<OrderState, [{ actor: string }]>('confirmReceipt');
export const extendReceipt = defineUpdate<OrderState, [{ actor: string }]>('extendReceipt');

// Risk control holds (SPEC §3 step 2): support's review, the customer's step-up verification.
export interface RiskReview {
  decision: 'approve' | 'reject';
  reason: string;
  actor: string;
}
export interface VerificationResult {
  result: 'passed' | 'failed';
  method?: string;
  reference?: string;
  actor: string;
}
export const reviewRisk = defineUpdate<OrderState, [RiskReview]>('reviewRisk');
export const submitVerification = defineUpdate<OrderState, [VerificationResult]>('submitVerification');

export const orderState = defineQuery<OrderState>('state');

// Order workflow — support operations (issue 6), each with the support key's identity and reason.
export interface SupportRequest {
  actor: string;
  reason: string;
}
/** Refund an amount of a captured payment (never above captured − refunded). */
export const refundAsSupport = defineUpdate<OrderState, [SupportRequest & { amount: number; paymentId?: string }]>('supportRefund');
/** Extend the pending window (stock decision, merchant SLA, receipt confirmation) by some seconds. */
export const extendWindow = defineUpdate<OrderState, [SupportRequest & { seconds: number }]>('supportExtendWindow');
/** Cancel even after hand-over: handed-over shipments are recalled, then the saga compensates. */
export const cancelAsSupport = defineUpdate<OrderState, [SupportRequest]>('supportCancel');
/** Windows support may extend; a payment window ends with the provider's payment action, so it is not one. */
export const EXTENDABLE_WAITS = ['stock_decision', 'merchant_decision', 'receipt_confirmation'] as const;

// Shipment (child) workflow.
export const trackingReceived = defineSignal<[TrackingSignal]>('trackingReceived');
export const cancelShipment = defineSignal<[{ reason: string }]>('cancelShipment');
/** Support cancelled the order after hand-over: the courier brings the parcel back. */
export const recallShipment = defineSignal<[{ reason: string }]>('recallShipment');
export const shipmentState = defineQuery<ShipmentView>('state');

// After-sales (SPEC §7): the order hosts the request Update and hears its children's progress;
// each request is a child workflow `after-sales-<requestId>` with the merchant's Updates.
export interface AfterSalesCommand {
  requestId: string;
  type: AfterSalesType;
  lines: Array<{ sku: string; quantity: number }>;
  reason: AfterSalesReason;
  description?: string;
  evidenceUrls: string[];
  compensation?: { kind: CompensationKind; amount: number };
  actor: string;
}
/** Answers the request as listed on the order; `replayed` when its id (Idempotency-Key) was known. */
export const requestAfterSales = defineUpdate<AfterSalesSummary & { replayed?: boolean }, [AfterSalesCommand]>('requestAfterSales');

/** What a request tells its order at every step; the order applies the money and ledger effects. */
export interface AfterSalesProgress {
  requestId: string;
  status: AfterSalesStatus;
  entry: { type: string; actor: string; detail?: Record<string, unknown> };
  refunds?: Array<{ paymentId: string; amount: number }>;
  /** Units that came back for good (not replaced or repaired), and units settled by a refund. */
  returned?: Array<{ lineNo: number; quantity: number }>;
  refundedUnits?: Array<{ lineNo: number; quantity: number }>;
}
export const afterSalesProgressed = defineSignal<[AfterSalesProgress]>('afterSalesProgressed');

export interface AfterSalesDecision {
  decision: 'approve' | 'reject';
  reason?: string;
  actor: string;
}
export const decideAfterSales = defineUpdate<AfterSalesState, [AfterSalesDecision]>('afterSalesDecision');
export const inspectAfterSales = defineUpdate<AfterSalesState, [InspectionBody & { actor: string }]>('afterSalesInspection');
/**
 * The customer's answer when an exchange's replacement is short (SPEC §3 step 4, as for an order);
 * a backordered exchange may still be given up (`cancel`). Restocks wake it with stockReplenished.
 */
export const decideAfterSalesStock = defineUpdate<AfterSalesState, [StockDecision]>('afterSalesStockDecision');
export const afterSalesState = defineQuery<AfterSalesState>('state');

// Refund confirmation (issue 4): one workflow per wallet refund, `refund-<refundId>`, waiting for the
// provider's refund.succeeded / refund.failed notification and requesting the refund again (same key)
// when none comes within the merchant's refundConfirmSeconds.
export const refundWorkflowId = (refundId: string) => `refund-${refundId}`;
export const refundNotified = defineSignal<[RefundNotice]>('refundNotified');
export interface RefundConfirmationInput {
  refundId: string;
  /** Requests made again by earlier runs (the workflow continues as new now and then). */
  requests?: number;
}
/**
 * How both starters start it — the refundPayment activity after the first request, the payment
 * webhook with the notification (signalWithStart) if that comes first: once per refund, never again
 * after it ended (a late duplicate notification must not start a second confirmation).
 */
export function refundConfirmationStart(refundId: string, taskQueue: string) {
  return { workflowId: refundWorkflowId(refundId), taskQueue, args: [{ refundId }] as [RefundConfirmationInput], workflowIdReusePolicy: 'REJECT_DUPLICATE' as const };
}

/** What a shipment reports to its order at every change. */
export interface ShipmentProgress {
  seq: number;
  status: ShipmentStatus;
  courier?: string;
  trackingNumber?: string;
  event?: TrackingSignal;
  codCollected?: { amount: number; currency: string };
  deliveryAttempts?: number;
}

/** Business failures the API maps to HTTP statuses. */
export const FAILURE = {
  notAllowed: 'NotAllowedInState', // 409
  invalid: 'InvalidRequest', // 422
  paymentDeclined: 'PaymentDeclined',
} as const;

/** A validator's refusal of bad input (422), naming each field as the API reads it (details[0]). */
export const invalidRequest = (problems: Array<{ field: string; message: string }>) =>
  ApplicationFailure.create({ type: FAILURE.invalid, message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), details: [problems], nonRetryable: true });
