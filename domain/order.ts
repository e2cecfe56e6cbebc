import { z } from 'zod';
import { orderPolicyOverridesSchema, type Policy } from './policy';

export const MAX_LINE_QUANTITY = 99;
export const MAX_LINES = 50;

export const paymentMethods = ['card', 'wechat_pay', 'alipay', 'cod'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

const text = (max: number) => z.string().trim().min(1).max(max);

export const customerSchema = z.object({
  id: text(64),
  name: text(100),
  phone: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'expected a phone number'),
  email: z.email().optional(),
});

export const addressSchema = z.object({
  recipient: text(100),
  phone: z.string().regex(/^\+?[0-9][0-9 -]{5,19}$/, 'expected a phone number'),
  province: text(50),
  city: text(50),
  district: text(50),
  line1: text(200),
  postalCode: z.string().regex(/^[0-9]{6}$/, 'expected a 6-digit postal code'),
});

export const orderLineRequestSchema = z.object({
  sku: text(64),
  quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
});

/** POST /v1/orders body. Client prices are not part of it: every line is priced from the catalog. */
export const submitOrderSchema = z
  .object({
    channel: text(40),
    customer: customerSchema,
    shippingAddress: addressSchema,
    lines: z.array(orderLineRequestSchema).min(1).max(MAX_LINES),
    paymentMethod: z.enum(paymentMethods),
    card: z.object({ token: text(100) }).optional(),
    couponCode: text(40).optional(),
    pointsToRedeem: z.number().int().min(0).max(100_000_000).optional(),
    /** The total a quote showed (POST /v1/quotes): a different price now is 409 price-changed. */
    expectedTotal: z.number().int().min(0).optional(),
    note: z.string().max(500).optional(),
    policy: orderPolicyOverridesSchema.optional(),
  })
  .superRefine((order, ctx) => {
    if (order.paymentMethod === 'card' && !order.card) {
      ctx.addIssue({ code: 'custom', path: ['card'], message: 'card.token is required for card payments' });
    }
    const seen = new Set<string>();
    order.lines.forEach((line, i) => {
      if (seen.has(line.sku))
        ctx.addIssue({ code: 'custom', path: ['lines', i, 'sku'], message: 'duplicate sku; merge the quantities' });
      seen.add(line.sku);
    });
  });

export type SubmitOrderRequest = z.infer<typeof submitOrderSchema>;
export type Customer = z.infer<typeof customerSchema>;
export type Address = z.infer<typeof addressSchema>;

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
