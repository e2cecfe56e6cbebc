import type { AfterSalesState, AfterSalesStatus } from './after-sales';
import { handedOver } from './tracking';
import { refundableOf } from './money';
import type { OrderStatus } from './order';
import type { OrderState } from './order-state';

/**
 * What may be done to an order, and by whom it is asked (docs/api.md, "Allowed actions"): the
 * validators of the order workflow's Updates read this table first, and `GET /v1/orders/{id}` shows
 * the result as `allowedActions`, so a client never has to guess from the status.
 */
export const orderActions = [
  'cancel',
  'stockDecision',
  'merchantDecision',
  'ship',
  'confirmReceipt',
  'extendReceipt',
  'reviewRisk',
  'submitVerification',
  'requestAfterSales',
  'supportCancel',
  'supportRefund',
  'supportExtendWindow',
] as const;
export type OrderAction = (typeof orderActions)[number];

const BEFORE_SHIPPING = ['cancel', 'supportCancel', 'supportRefund'] as const;

/** Each status's actions, before the state's details narrow them (allowedActions). */
export const ORDER_ACTIONS: Record<OrderStatus, readonly OrderAction[]> = {
  submitted: BEFORE_SHIPPING,
  under_review: [...BEFORE_SHIPPING, 'reviewRisk', 'submitVerification'],
  awaiting_payment: BEFORE_SHIPPING,
  paid: BEFORE_SHIPPING,
  cod_pending: BEFORE_SHIPPING,
  awaiting_stock_decision: [...BEFORE_SHIPPING, 'stockDecision', 'supportExtendWindow'],
  backordered: BEFORE_SHIPPING,
  awaiting_merchant: [...BEFORE_SHIPPING, 'merchantDecision', 'supportExtendWindow'],
  fulfilling: [...BEFORE_SHIPPING, 'ship'],
  partially_shipped: ['supportCancel', 'supportRefund', 'ship'],
  shipped: ['supportCancel', 'supportRefund'],
  delivered: ['confirmReceipt', 'extendReceipt', 'requestAfterSales', 'supportRefund', 'supportExtendWindow'],
  completed: ['requestAfterSales', 'supportRefund'],
  cancelled: [],
  rejected: [],
};

/** Windows support may extend; a payment window ends with the provider's payment action, so it is not one. */
export const EXTENDABLE_WAITS = ['stock_decision', 'merchant_decision', 'receipt_confirmation'] as const;

/** Money a support refund may still draw on: refundable payments less what open after-sales requests reserve. */
export function freeToRefund(state: OrderState): number {
  const reserved = (state.afterSales ?? []).reduce((t, r) => t + r.reservedAmount, 0);
  return state.payments.reduce((t, p) => t + refundableOf(p), 0) - reserved;
}

/** Why the state's details rule out an action its status admits (undefined: nothing does). */
const NARROWED: Partial<Record<OrderAction, (s: OrderState) => boolean>> = {
  cancel: (s) => !s.shipments.some((x) => handedOver(x.status)),
  supportCancel: (s) => s.lines.every((l) => l.delivered === 0),
  stockDecision: (s) => s.pendingDecision?.awaiting === 'stock_decision' && s.shortage !== undefined,
  ship: (s) => (s.unshipped?.length ?? 0) > 0,
  extendReceipt: (s) => !s.receiptExtended,
  reviewRisk: (s) => s.pendingDecision?.awaiting === 'risk_review',
  submitVerification: (s) => s.pendingDecision?.awaiting === 'verification',
  supportRefund: (s) => freeToRefund(s) > 0,
  supportExtendWindow: (s) => (EXTENDABLE_WAITS as readonly string[]).includes(s.pendingDecision?.awaiting ?? ''),
};

/** The actions the order admits now: its status's, narrowed by its details. */
export function allowedActions(state: OrderState): OrderAction[] {
  return ORDER_ACTIONS[state.status].filter((a) => NARROWED[a]?.(state) ?? true);
}

/** A refusal in words for an action the order does not admit now, or undefined when it does. */
export function actionRefusal(state: OrderState, action: OrderAction): string | undefined {
  if (allowedActions(state).includes(action)) return undefined;
  const { status, pendingDecision: pending } = state;
  if (status === 'cancelled' || status === 'rejected') return `order is already ${status}`;
  switch (action) {
    case 'cancel':
      return status === 'completed'
        ? `order is already ${status}`
        : 'a shipment has been handed over to the courier; only support can cancel now';
    case 'supportCancel':
      return status === 'completed'
        ? `order is already ${status}`
        : 'goods have been delivered: use after-sales or a refund instead';
    case 'supportExtendWindow':
      if (!pending) return `order is ${status}: no window is open`;
      return `the ${pending.awaiting} window cannot be extended${pending.awaiting === 'payment' ? ": the provider's payment action expires with it" : ''}`;
    case 'extendReceipt':
      return status === 'delivered'
        ? 'the receipt window has already been extended once'
        : `order is ${status}, not delivered`;
    case 'confirmReceipt':
      return `order is ${status}, not delivered`;
    case 'ship':
      return `order is ${status}; nothing is waiting to be shipped`;
    case 'stockDecision':
      return `order is ${status}, not awaiting a stock decision`;
    case 'merchantDecision':
      return `order is ${status}, not awaiting the merchant`;
    case 'reviewRisk':
    case 'submitVerification':
      return `order is ${status}${pending ? ` awaiting ${pending.awaiting}` : ''}, not awaiting ${action === 'reviewRisk' ? 'a risk review' : 'step-up verification'}`;
    case 'supportRefund':
      return 'no captured payment has anything left to refund (captured − refunded, less what open after-sales requests reserve)';
    case 'requestAfterSales':
      return `order is ${status}; after-sales requests start once it is delivered`;
  }
}

/** The after-sales request's own table: which Update each status admits. */
export const afterSalesActions = ['decide', 'inspect', 'stockDecision'] as const;
export type AfterSalesAction = (typeof afterSalesActions)[number];
export const AFTER_SALES_ACTIONS: Record<AfterSalesStatus, readonly AfterSalesAction[]> = {
  awaiting_decision: ['decide'],
  awaiting_return: [],
  returning: [],
  awaiting_inspection: ['inspect'],
  resolving: [],
  awaiting_stock_decision: ['stockDecision'],
  // A backordered replacement may still be given up (a stock decision of `cancel`).
  backordered: ['stockDecision'],
  shipping_back: [],
  completed: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

export function allowedAfterSalesActions(state: AfterSalesState): AfterSalesAction[] {
  return [...AFTER_SALES_ACTIONS[state.status]];
}
