import { z, type ZodType } from 'zod';
import {
  afterSalesStatuses,
  afterSalesTypes,
  buckets,
  locales,
  noticeChannels,
  orderStatuses,
  paymentMethods,
  rfmSegments,
} from '../domain';

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

/** A keyset page: `nextCursor` is null on the last page. */
const pageOf = <T extends ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

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

/** Why an order is stuck and since when (api/stuck.ts): each kind adds its own facts (workflow, activity, shipment, refund). */
const stuckReason = component(
  'StuckReason',
  z.object({
    kind: z.enum([
      'wait_overdue',
      'tracking_silent',
      'refund_unconfirmed',
      'activity_retrying',
      'workflow_task_failing',
      'workflow_failed',
      'workflow_not_started',
    ]),
    since: at,
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
    stuck: z.object({ since: at, reasons: z.array(stuckReason) }).optional(),
    createdAt: at,
    updatedAt: at,
  }),
);

export const orderPageSchema = component('OrderPage', pageOf(orderSummary));

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
  pageOf(
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

const tierBenefits = component(
  'TierBenefits',
  z.object({
    memberDiscountPercent: z.number(),
    pointsMultiplier: z.number(),
    freeShipping: z.boolean(),
    flashSaleEarlyMinutes: z.number().int(),
  }),
);

/** GET /v1/customers/{id}/membership (docs/pricing.md "Membership"). */
export const membershipSchema = component(
  'Membership',
  z.object({
    customerId: z.string(),
    tier: z.string(),
    benefits: tierBenefits,
    growth: z.object({ value: z.number().int(), since: at }),
    nextTier: z.object({ name: z.string(), minGrowth: z.number().int(), missing: z.number().int() }).nullable(),
    points: z.object({
      balance: z.number().int(),
      expired: z.number().int(),
      /** Lots still valid, oldest first, with what is left of each. */
      lots: z.array(z.object({ points: z.number().int(), expiresAt: at })),
      ledger: z.array(
        z.object({ id: z.string(), orderId: z.string().nullable(), delta: z.number().int(), reason: z.string(), at }),
      ),
    }),
    coupons: z.array(
      z.object({
        code: z.string(),
        status: z.enum(['issued', 'redeemed']),
        /** null: after-sales compensation. */
        templateId: z.string().nullable(),
        name: z.string(),
        kind: z.enum(['amount', 'percent']),
        amount: z.number().int().nullable(),
        percent: z.number().nullable(),
        minSpend: z.number().int(),
        validUntil: at.nullable(),
        redeemedOrderId: z.string().nullable(),
      }),
    ),
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

// Support (api/routes/ops.ts, risk.ts, reconciliation.ts, notifications.ts).

export const stuckOrderPageSchema = component(
  'StuckOrderPage',
  z.object({
    items: z.array(
      z.object({
        orderId: z.string(),
        status: z.string(),
        merchantId: z.string(),
        customerId: z.string(),
        channel: z.string(),
        createdAt: at,
        updatedAt: at,
        /** The earliest `since` of its reasons. */
        since: at,
        reasons: z.array(stuckReason),
      }),
    ),
    total: z.number().int(),
    nextCursor: z.string().nullable(),
  }),
);

/** POST /v1/ops/orders/{id}/retry: the steps reset to run now, and the order after it. */
export const retriedStepsSchema = component(
  'RetriedSteps',
  z.object({
    retried: z.array(
      z.object({
        workflowId: z.string(),
        activity: z.string(),
        activityId: z.string(),
        attempt: z.number().int(),
        lastFailure: z.string().nullable(),
      }),
    ),
    order: orderDetailSchema,
  }),
);

/** GET /v1/ops/orders/{id}/timeline (api/timeline.ts): every source merged in time, with links into Temporal's UI. */
export const orderTimelineSchema = component(
  'OrderTimeline',
  z.object({
    orderId: z.string(),
    status: z.string(),
    links: z.object({
      temporalUi: z.string(),
      workflows: z.array(
        z.object({ workflowId: z.string(), status: z.string(), historyLength: z.number().int(), url: z.string() }),
      ),
    }),
    entries: z.array(
      z.object({
        at,
        source: z.enum(['business', 'courier', 'notification', 'payment', 'support', 'workflow']),
        workflowId: z.string().optional(),
        actor: z.string().optional(),
        kind: z.string(),
        summary: z.string(),
        error: z.string().optional(),
        attempt: z.number().int().optional(),
      }),
    ),
  }),
);

/** Both resend operations: what was queued again (`was: failed`) or copied under a new key (`was: sent`). */
export const resentNotificationsSchema = component(
  'ResentNotifications',
  z.object({
    queued: z.array(
      z.object({
        id: z.string(),
        kind: z.string(),
        channel: z.string(),
        was: z.enum(['failed', 'sent']),
        copyOf: z.string().optional(),
      }),
    ),
  }),
);

export const auditPageSchema = component(
  'AuditPage',
  pageOf(
    z.object({
      id: z.string(),
      actor: z.object({ name: z.string(), role: z.string() }),
      operation: z.string(),
      orderId: z.string().nullable(),
      reason: z.string(),
      outcome: z.enum(['succeeded', 'refused', 'failed']),
      statusCode: z.number().int(),
      details: open,
      at,
    }),
  ),
);

export const customerFreezeSchema = component(
  'CustomerFreeze',
  z.object({
    customerId: z.string(),
    frozen: z.boolean(),
    frozenAt: at.nullable(),
    reason: z.string().nullable(),
    by: z.string().nullable(),
  }),
);

/** Only the fingerprint of the blocked value is stored, and answered. */
export const blocklistEntrySchema = component(
  'BlocklistEntry',
  z.object({ kind: z.enum(['customer', 'phone', 'address']), fingerprint: z.string(), reason: z.string() }),
);

export const reconciliationRunPageSchema = component(
  'ReconciliationRunPage',
  pageOf(
    z.object({
      runId: z.string(),
      window: z.object({ from: at, to: at }),
      checked: z.object({ captures: z.number().int(), refunds: z.number().int() }),
      finishedAt: at,
      differences: z.array(
        z.object({
          kind: z.string(),
          provider: z.string().nullable(),
          orderId: z.string().nullable(),
          paymentId: z.string().nullable(),
          refundId: z.string().nullable(),
          reference: z.string().nullable(),
          /** Minor units by our books and by the provider's. */
          ours: z.number().int().nullable(),
          theirs: z.number().int().nullable(),
        }),
      ),
    }),
  ),
);

export const notificationPageSchema = component(
  'NotificationPage',
  pageOf(
    z.object({
      id: z.string(),
      orderId: z.string().nullable(),
      recipientType: z.string(),
      recipientId: z.string(),
      channel: z.string(),
      kind: z.string(),
      status: z.enum(['pending', 'sent', 'failed']),
      attempts: z.number().int(),
      lastError: z.string().nullable(),
      subject: z.string().nullable(),
      createdAt: at,
      sentAt: at.nullable(),
    }),
  ),
);

/** A customer's notification preferences; `default: true` when none were set. */
export const notificationPreferencesSchema = component(
  'NotificationPreferences',
  z.object({
    customerId: z.string(),
    channels: z.object({
      transactional: z.array(z.enum(noticeChannels)),
      marketing: z.array(z.enum(noticeChannels)),
    }),
    locale: z.enum(locales),
    quietHours: z.object({ start: z.string(), end: z.string(), timeZone: z.string() }).optional(),
    default: z.boolean(),
  }),
);

/** Temporal's remote codec protocol: payloads in proto3 JSON form, bytes as base64. */
export const codecPayloadsSchema = component(
  'CodecPayloads',
  z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })) }),
);

// Coupons and membership (api/routes/coupons.ts).

export const couponTemplateSchema = component(
  'CouponTemplate',
  z.object({
    id: z.string(),
    /** null: platform-wide (support's). */
    merchantId: z.string().nullable(),
    name: z.string(),
    kind: z.enum(['amount', 'percent']),
    amount: z.number().int().nullable(),
    percent: z.number().nullable(),
    maxOff: z.number().int().nullable(),
    minSpend: z.number().int(),
    skus: z.array(z.string()).nullable(),
    currency: z.string(),
    startsAt: at,
    endsAt: at,
    createdAt: at,
  }),
);

export const couponTemplateUsageSchema = component(
  'CouponTemplateUsage',
  couponTemplateSchema.extend({ issued: z.number().int(), redeemed: z.number().int() }),
);

/** One coupon per customer and template: `issued` counts the new ones, `coupons` lists every customer's code. */
export const issuedCouponsSchema = component(
  'IssuedCoupons',
  z.object({
    templateId: z.string(),
    issued: z.number().int(),
    coupons: z.array(z.object({ customerId: z.string(), code: z.string() })),
  }),
);

// Outbound events (api/routes/webhook-subscriptions.ts, webhook-deliveries.ts).

export const webhookSubscriptionSchema = component(
  'WebhookSubscription',
  z.object({
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    failingSince: at.nullable(),
    /** Until when the secret before the last rotation still signs beside the current one (decision 074). */
    previousSecretExpiresAt: at.nullable(),
    merchantId: z.string().nullable(),
    owner: z.object({ role: z.string(), name: z.string() }),
    createdAt: at,
    updatedAt: at,
  }),
);

/** Creating a subscription and rotating its secret are the only answers that show the secret. */
export const webhookSubscriptionWithSecretSchema = component(
  'WebhookSubscriptionWithSecret',
  webhookSubscriptionSchema.extend({ secret: z.string() }),
);

export const webhookSubscriptionPageSchema = component('WebhookSubscriptionPage', pageOf(webhookSubscriptionSchema));

const webhookAttempt = z.object({
  at,
  statusCode: z.number().int().nullable(),
  body: z.string().nullable(),
  error: z.string().nullable(),
});

const webhookDelivery = component(
  'WebhookDelivery',
  z.object({
    id: z.string(),
    subscriptionId: z.string(),
    url: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    occurredAt: at,
    orderId: z.string(),
    sequence: z.number().int(),
    /** parked: waiting for its disabled subscription to be enabled again. */
    status: z.enum(['pending', 'parked', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: at.nullable(),
    deliveredAt: at.nullable(),
    lastAnswer: webhookAttempt.nullable(),
    /** The latest attempts, newest first. */
    recentAttempts: z.array(webhookAttempt.extend({ attempt: z.number().int(), durationMs: z.number().int() })),
    createdAt: at,
  }),
);

export const webhookDeliveryPageSchema = component('WebhookDeliveryPage', pageOf(webhookDelivery));

export const redeliverySchema = component(
  'Redelivery',
  z.object({ subscriptionId: z.string(), eventIds: z.array(z.string()), status: z.enum(['pending', 'parked']) }),
);

// Analytics (api/routes/analytics.ts): each report as JSON, or its rows as CSV.

const analyticsPeriod = component(
  'AnalyticsPeriod',
  z.object({ from: at, to: at, timezone: z.string(), bucket: z.enum(buckets) }),
);
const analyticsFilters = component(
  'AnalyticsFilters',
  z.object({
    merchantId: z.string().nullable(),
    channel: z.string().nullable(),
    paymentMethod: z.enum(paymentMethods).nullable(),
  }),
);
const count = z.number().int();
/** A share in [0, 1] (4 decimals); null when its denominator is 0. */
const rate = z.number().nullable();

const analyticsReport = <T extends z.ZodRawShape>(id: string, row: T) =>
  component(id, z.object({ period: analyticsPeriod, filters: analyticsFilters, rows: z.array(z.object(row)) }));

export const salesReportSchema = analyticsReport('SalesReport', {
  /** Local day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH:00). */
  bucket: z.string(),
  /** With `by`: the value it splits on. */
  merchantId: z.string().optional(),
  channel: z.string().optional(),
  paymentMethod: z.string().optional(),
  orders: count,
  units: count,
  gmv: count,
  aov: count.nullable(),
  refunded: count,
  netSales: count,
});
export const funnelReportSchema = analyticsReport('FunnelReport', {
  stage: z.enum(['submitted', 'paid', 'shipped', 'delivered', 'completed', 'cancelled', 'rejected']),
  orders: count,
  rateFromPrevious: rate,
  rateFromSubmitted: rate,
});
export const cancellationReportSchema = analyticsReport('CancellationReport', {
  outcome: z.string(),
  reason: z.string(),
  orders: count,
  gmv: count,
});
export const topProductsReportSchema = analyticsReport('TopProductsReport', {
  rank: count,
  sku: z.string(),
  name: z.string().nullable(),
  units: count,
  revenue: count,
  orders: count,
});
export const afterSalesRatesReportSchema = analyticsReport('AfterSalesRatesReport', {
  sku: z.string(),
  unitsSold: count,
  refundedUnits: count,
  returnedUnits: count,
  afterSalesRequests: count,
  afterSalesUnits: count,
  refundRate: rate,
  returnRate: rate,
  afterSalesRate: rate,
});
export const afterSalesReasonsReportSchema = analyticsReport('AfterSalesReasonsReport', {
  sku: z.string(),
  type: z.string(),
  reason: z.string(),
  warehouseId: z.string(),
  courier: z.string(),
  requests: count,
  units: count,
});
export const courierReportSchema = analyticsReport('CourierReport', {
  courier: z.string(),
  warehouseId: z.string(),
  shipments: count,
  pickedUp: count,
  avgHoursToPickUp: z.number().nullable(),
  delivered: count,
  avgHoursToDelivery: z.number().nullable(),
  failedAttempts: count,
  failedAttemptsPerShipment: rate,
  returnedToSender: count,
});
/** Stock is read now, not over a period: only the merchant filter applies. */
export const stockCoverReportSchema = component(
  'StockCoverReport',
  z.object({
    filters: z.object({ merchantId: z.string().nullable() }),
    rows: z.array(
      z.object({
        merchantId: z.string(),
        sku: z.string(),
        name: z.string(),
        warehouseId: z.string(),
        onHand: count,
        available: count,
        unitsShippedInWindow: count,
        windowDays: z.number(),
        leadTimeDays: z.number(),
        safetyStockDays: z.number(),
        reviewDays: z.number(),
        velocityPerDay: z.number(),
        coverDays: z.number().nullable(),
        reorderPoint: count,
        orderUpTo: count,
        suggestedQuantity: count,
        urgency: z.enum(['stockout', 'critical', 'reorder', 'ok', 'no_demand']),
      }),
    ),
  }),
);

// Customers, baskets and promotions (docs/analytics.md, decision 073).
const repeatRow = {
  newCustomers: count,
  repeatedInPeriod: count,
  repeatedToDate: count,
  repeatRateInPeriod: rate,
  repeatRateToDate: rate,
};
/** Per local day or hour of the customers' first purchase; `total` for the whole period. */
export const repeatPurchaseReportSchema = component(
  'RepeatPurchaseReport',
  z.object({
    period: analyticsPeriod,
    filters: analyticsFilters,
    total: z.object(repeatRow),
    rows: z.array(z.object({ bucket: z.string(), ...repeatRow })),
  }),
);
/** RFM segments as of `asOf`: no period. */
export const customerSegmentsReportSchema = component(
  'CustomerSegmentsReport',
  z.object({
    asOf: at,
    filters: analyticsFilters,
    rows: z.array(
      z.object({
        segment: z.enum(rfmSegments),
        customers: count,
        customerShare: rate,
        orders: count,
        revenue: count,
        revenueShare: rate,
        avgRevenue: count.nullable(),
      }),
    ),
  }),
);
/** Over all time: only the merchant and SKU filters apply. */
export const boughtTogetherReportSchema = component(
  'BoughtTogetherReport',
  z.object({
    filters: z.object({ merchantId: z.string().nullable(), sku: z.string().nullable() }),
    rows: z.array(
      z.object({
        merchantId: z.string(),
        sku: z.string(),
        rank: count,
        alsoBought: z.string(),
        orders: count,
        skuOrders: count,
        support: rate,
        confidence: rate,
        /** confidence / the other SKU's share of all orders: not a share, may exceed 1. */
        lift: z.number().nullable(),
      }),
    ),
  }),
);
export const promotionCostReportSchema = analyticsReport('PromotionCostReport', {
  source: z.enum(['promotion', 'shipping', 'coupon', 'points']),
  code: z.string(),
  name: z.string().nullable(),
  orders: count,
  discount: count,
  discountPerOrder: count.nullable(),
  units: count,
  gmv: count,
  /** Uplift, for promotions still in the promotions table; null otherwise. */
  windowFrom: at.nullable(),
  windowTo: at.nullable(),
  windowOrders: count.nullable(),
  windowGmv: count.nullable(),
  priorOrders: count.nullable(),
  priorGmv: count.nullable(),
  /** window / prior − 1: may be negative or exceed 1. */
  ordersUplift: z.number().nullable(),
  gmvUplift: z.number().nullable(),
});
