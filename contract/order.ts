import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderInput, ShipmentStatus } from '../domain/order';
import type { OrderState } from '../domain/order-state';
import type { PaymentSignal } from '../domain/payments';
import type { StockDecision } from '../domain/shortage';
import type { TrackingSignal } from '../domain/tracking';

import { orderWorkflowId } from './ids';
import { CURRENT_LIFECYCLE, LIFECYCLE_TYPES } from './versions';

/** The order workflow's signals, updates and queries, shared by the workflows and the API. */

export type OrderWorkflow = (input: OrderInput) => Promise<OrderState>;
/** The order workflow type new orders start (the current lifecycle version; contract/versions.ts). */
export const ORDER_WORKFLOW = LIFECYCLE_TYPES[CURRENT_LIFECYCLE].order;
/** How the API starts an order: once per order id, never again after it ended. */
export function orderWorkflowStart(input: OrderInput, taskQueue: string) {
  return {
    workflowId: orderWorkflowId(input.orderId),
    taskQueue,
    args: [input] as [OrderInput],
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
  };
}

// Order workflow — fire-and-forget events are signals.
export const paymentNotified = defineSignal<[PaymentSignal]>('paymentNotified');
export const shipmentProgressed = defineSignal<[ShipmentProgress]>('shipmentProgressed');
/**
 * A courier's tracking event for a parcel the order follows itself (lifecycle version 3,
 * docs/decisions/100): the logistics webhook signals the workflow the shipment row names as its
 * holder. Deduplicated by `eventId` per parcel; a parcel never moves backwards.
 */
export const parcelTracking = defineSignal<[ParcelTracking]>('parcelTracking');
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

// Risk control holds (docs/risk.md): support's review, the customer's step-up verification.
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
export type SupportRefund = SupportRequest & { amount: number; paymentId?: string };
export const refundAsSupport = defineUpdate<OrderState, [SupportRefund]>('supportRefund');
/** Extend the pending window (stock decision, merchant SLA, receipt confirmation) by some seconds. */
export type SupportExtension = SupportRequest & { seconds: number };
export const extendWindow = defineUpdate<OrderState, [SupportExtension]>('supportExtendWindow');
/** Cancel even after hand-over: handed-over shipments are recalled, then the saga compensates. */
export const cancelAsSupport = defineUpdate<OrderState, [SupportRequest]>('supportCancel');

/** A tracking event for one of the order's parcels, named by its shipment id (`shipment-<orderId>-<n>`). */
export type ParcelTracking = TrackingSignal & { shipmentId: string };

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
