import type { Policy } from './policy';

export const MAX_LINE_QUANTITY = 99;
export const MAX_LINES = 50;

export const paymentMethods = ['card', 'wechat_pay', 'alipay', 'cod'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** Who ordered (validated by order.schema.ts). */
export interface Customer {
  id: string;
  name: string;
  phone: string;
  email?: string;
}

/** Where the goods go (validated by order.schema.ts). */
export interface Address {
  recipient: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  line1: string;
  postalCode: string;
}

export const orderStatuses = [
  'submitted',
  'under_review',
  'awaiting_payment',
  'paid',
  'cod_pending',
  'awaiting_stock_decision',
  'backordered',
  'awaiting_merchant',
  'fulfilling',
  'partially_shipped',
  'shipped',
  'delivered',
  'completed',
  'cancelled',
  'rejected',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** One priced line and its ledger: how many units reached each stage. */
export interface OrderLine {
  lineNo: number;
  sku: string;
  name: string;
  unitPrice: number;
  quantity: number;
  allocated: number;
  shipped: number;
  delivered: number;
  returned: number;
  refunded: number;
  /** Units of this line replaced by another SKU at the customer's choice (a shortage). */
  substituted?: number;
  /** On a substitute line: the line it replaces. */
  substituteFor?: number;
  /** The line's share of the order's discounts (domain/pricing): it pays unitPrice × quantity − discount. */
  discount?: number;
  /** A gift line: given at 0, takes real stock, ships and comes back with a return. */
  gift?: boolean;
}

/** One step of the price: a promotion's share of a line, or a lowered shipping fee (no lineNo). */
export interface PriceAdjustment {
  source: 'promotion' | 'shipping' | 'coupon' | 'points';
  code: string;
  kind: string;
  promotionId?: string;
  lineNo?: number;
  amount: number;
  units?: number;
}

export interface Totals {
  currency: string;
  subtotal: number;
  discount: number;
  shippingFee: number;
  /** Points spent at checkout, in minor units (absent when none): total = subtotal − discount − pointsRedeemed + shippingFee. */
  pointsRedeemed?: number;
  total: number;
}

/** What the API hands the order workflow when it starts it: validated, priced, policy resolved. */
export interface OrderInput {
  orderId: string;
  merchantId: string;
  channel: string;
  customer: Customer;
  shippingAddress: Address;
  lines: OrderLine[];
  totals: Totals;
  /** How the discounts and shipping fee came about, line by line (domain/pricing); absent when none. */
  adjustments?: PriceAdjustment[];
  paymentMethod: PaymentMethod;
  cardToken?: string;
  note?: string;
  policy: Policy;
  submittedAt: string;
}

export interface PaymentView {
  paymentId: string;
  method: PaymentMethod;
  /** Cards: `authorized` at payment, `captured` at the first hand-over, `voided` when released in full before. */
  status: 'pending' | 'authorized' | 'captured' | 'voided' | 'failed' | 'cancelled';
  amount: number;
  captured: number;
  refunded: number;
  /** Released from a card authorization before capture: never taken from the customer. */
  voided?: number;
  currency: string;
  /** For wallets while awaiting payment: what the customer must do (QR code, redirect). */
  action?: PaymentAction;
}

export interface PaymentAction {
  type: 'qr_code' | 'redirect';
  url: string;
  expiresAt: string;
}

export type ShipmentStatus =
  | 'booking'
  | 'booked'
  | 'picked_up'
  | 'in_transit'
  | 'out_for_delivery'
  | 'delivered'
  | 'delivery_failed'
  | 'returned_to_sender'
  | 'cancelled';

export interface ShipmentLine {
  lineNo: number;
  sku: string;
  quantity: number;
}

export interface ShipmentView {
  shipmentId: string;
  seq: number;
  warehouseId: string;
  courier?: string;
  trackingNumber?: string;
  status: ShipmentStatus;
  lines: ShipmentLine[];
  /** Failed delivery attempts so far; at the policy's limit the parcel is sent back. */
  deliveryAttempts?: number;
}

export interface PendingDecision {
  /** What the order waits for, and who must act. */
  awaiting:
    | 'payment'
    | 'stock_decision'
    | 'merchant_decision'
    | 'shipment'
    | 'receipt_confirmation'
    | 'risk_review'
    | 'verification';
  actor: 'customer' | 'merchant' | 'platform' | 'support';
  until: string;
}

/** Units of a line that could not be allocated. */
export interface ShortLine {
  lineNo: number;
  sku: string;
  quantity: number;
}
