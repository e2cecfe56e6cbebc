import { z, type ZodType } from 'zod';
import { afterSalesStatuses, afterSalesTypes, orderStatuses, paymentMethods } from '../domain';

/**
 * The response contract (docs/decisions/071-response-contract.md): what the main operations answer,
 * as zod schemas registered here under a name. api/route.ts turns each registered schema into one
 * `components.schemas` entry of /openapi.json and refers to it by `$ref`, so a shape is written once.
 * Objects are open (extra fields are allowed): the contract lists what a client may rely on; nested
 * records whose shape belongs to the domain (ledgers, price adjustments, rules) stay open objects.
 */
export const contract = z.registry<{ id: string }>();

function component<T extends ZodType>(id: string, schema: T): T {
  contract.add(schema, { id });
  // The id also goes where `.describe()` writes, so one conversion sees both (api/openapi.ts).
  z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
  return schema;
}

/** A date: Prisma's Date and the workflow's ISO strings both leave as ISO 8601 text. */
const at = z.string();
const open = z.record(z.string(), z.unknown());

export const problemSchema = component(
  'Problem',
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
);

const totals = component(
  'Totals',
  z.object({
    currency: z.string(),
    subtotal: z.number().int(),
    discount: z.number().int(),
    shippingFee: z.number().int(),
    total: z.number().int(),
  }),
);

const supportFlag = component('SupportFlag', z.object({ kind: z.string(), at, detail: open.optional() }));

const pendingDecision = component('PendingDecision', z.object({ awaiting: z.string(), actor: z.string(), until: at }));

const payment = component(
  'Payment',
  z.object({
    paymentId: z.string(),
    method: z.enum(paymentMethods),
    status: z.string(),
    amount: z.number().int(),
    captured: z.number().int(),
    refunded: z.number().int(),
    voided: z.number().int().optional(),
    currency: z.string(),
    action: open.optional(),
  }),
);

const trackingEvent = component(
  'TrackingEvent',
  z.object({
    eventId: z.string(),
    type: z.string(),
    location: z.string().nullish(),
    signedBy: z.string().nullish(),
    occurredAt: at,
  }),
);

const shipment = component(
  'Shipment',
  z.object({
    shipmentId: z.string(),
    seq: z.number().int(),
    warehouseId: z.string(),
    courier: z.string().nullish(),
    trackingNumber: z.string().nullish(),
    status: z.string(),
    lines: z.array(open),
    deliveryAttempts: z.number().int().optional(),
    /** GET answers only: the courier's scans from the shipment's record. */
    tracking: z.array(trackingEvent).optional(),
  }),
);

const orderLine = component(
  'OrderLine',
  z.object({
    lineNo: z.number().int(),
    sku: z.string(),
    name: z.string(),
    unitPrice: z.number().int(),
    quantity: z.number().int(),
    discount: z.number().int(),
    paid: z.number().int(),
    gift: z.boolean(),
    substituteFor: z.number().int().nullable(),
    ledger: open,
  }),
);

/** An order's state, as every order action answers it (api/views.ts orderView). */
export const orderSchema = component(
  'Order',
  z.object({
    id: z.string(),
    status: z.enum(orderStatuses),
    allowedActions: z.array(z.string()),
    channel: z.string(),
    merchantId: z.string(),
    customerId: z.string(),
    paymentMethod: z.enum(paymentMethods),
    lines: z.array(orderLine),
    totals,
    adjustments: z.array(open),
    payments: z.array(payment),
    shipments: z.array(shipment),
    pendingDecision: pendingDecision.nullable(),
    shortage: z.array(open).nullable(),
    unshipped: z.array(open).nullable(),
    flags: z.array(supportFlag),
    cancellation: open.nullable(),
    rejection: open.nullable(),
    risk: open.nullable(),
    receiptExtended: z.boolean(),
    submittedAt: at,
    deliveredAt: at.nullable(),
    completedAt: at.nullable(),
    afterSales: z.array(open),
    points: open.nullable(),
  }),
);

const refund = component(
  'Refund',
  z.object({
    id: z.string(),
    kind: z.string(),
    amount: z.number().int(),
    reason: z.string(),
    status: z.string(),
    at,
    confirmedAt: at.nullable(),
  }),
);

/** GET /v1/orders/{id}: the order with its records (refunds, tracking, timeline) and links. */
export const orderDetailSchema = component(
  'OrderDetail',
  orderSchema.extend({
    live: z.boolean(),
    payments: z.array(payment.extend({ providerRef: z.string().optional(), refunds: z.array(refund) })),
    shipments: z.array(shipment),
    timeline: z.array(
      z.object({ seq: z.number().int(), type: z.string(), actor: z.string(), detail: z.unknown(), at }),
    ),
    links: z.object({ temporalUi: z.string() }),
  }),
);

/** A row of GET /v1/orders; `stuck` rows (stuck=true) carry their reasons instead of money and flags. */
const orderSummary = component(
  'OrderSummary',
  z.object({
    id: z.string(),
    status: z.string(),
    channel: z.string(),
    merchantId: z.string(),
    customerId: z.string(),
    paymentMethod: z.enum(paymentMethods).optional(),
    total: z.object({ amount: z.number().int(), currency: z.string() }).optional(),
    flags: z.array(supportFlag).optional(),
    stuck: z.object({ since: at, reasons: z.array(open) }).optional(),
    createdAt: at,
    updatedAt: at,
  }),
);

export const orderPageSchema = component(
  'OrderPage',
  z.object({ items: z.array(orderSummary), nextCursor: z.string().nullable() }),
);

export const afterSalesSchema = component(
  'AfterSalesRequest',
  z.object({
    id: z.string(),
    orderId: z.string(),
    merchantId: z.string(),
    customerId: z.string(),
    type: z.enum(afterSalesTypes),
    status: z.enum(afterSalesStatuses),
    reason: z.string(),
    lines: z.array(open),
    currency: z.string(),
    requestedAt: at,
    allowedActions: z.array(z.string()),
    pendingDecision: open.nullable(),
    decision: open.nullable(),
    inspection: open.nullable(),
    shortage: z.array(open).nullable(),
    stockDecision: open.nullable(),
    resolution: open.nullable(),
    shipments: z.array(shipment.extend({ direction: z.enum(['return', 'outbound']) })),
    live: z.boolean(),
  }),
);

export const afterSalesPageSchema = component(
  'AfterSalesPage',
  z.object({
    items: z.array(
      z.object({
        id: z.string(),
        orderId: z.string(),
        merchantId: z.string(),
        customerId: z.string(),
        type: z.enum(afterSalesTypes),
        status: z.enum(afterSalesStatuses),
        pendingDecision: open.nullable(),
        createdAt: at,
        updatedAt: at,
      }),
    ),
    nextCursor: z.string().nullable(),
  }),
);

export const productSchema = component(
  'Product',
  z.object({
    sku: z.string(),
    merchantId: z.string(),
    name: z.string(),
    priceAmount: z.number().int(),
    currency: z.string(),
    active: z.boolean(),
    createdAt: at,
    updatedAt: at,
  }),
);

export const stockSchema = component(
  'Stock',
  z.object({
    sku: z.string(),
    warehouses: z.array(
      z.object({
        warehouseId: z.string(),
        onHand: z.number().int(),
        reserved: z.number().int(),
        allocated: z.number().int(),
        available: z.number().int(),
      }),
    ),
  }),
);

export const quoteSchema = component(
  'Quote',
  z.object({
    merchantId: z.string(),
    pricedAt: at,
    lines: z.array(open),
    adjustments: z.array(open),
    applied: z.array(open),
    totals,
    expectedTotal: z.number().int(),
  }),
);

export const promotionSchema = component(
  'Promotion',
  z.object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    merchantId: z.string().nullable(),
    startsAt: at,
    endsAt: at,
    priority: z.number().int(),
    exclusive: z.boolean(),
    channels: z.array(z.string()).nullable(),
    customerTiers: z.array(z.string()).nullable(),
    budgetUses: z.number().int().nullable(),
    budgetAmount: z.number().int().nullable(),
    active: z.boolean(),
    rule: open,
    createdAt: at,
    updatedAt: at,
  }),
);

export const promotionListSchema = component('PromotionList', z.object({ items: z.array(promotionSchema) }));

/** A signed notification's acknowledgement: `duplicate` when its event id was seen before. */
export const webhookAckSchema = component(
  'WebhookAck',
  z.object({ received: z.literal(true), duplicate: z.boolean() }),
);
