/**
 * Every notice the engine sends (docs/notifications.md, "Customer and merchant notices"): who
 * receives it, its preference category and the placeholders its templates may use. The template
 * test enumerates this table × locales, so a kind without both templates cannot ship.
 */
export type NoticeAudience = 'customer' | 'merchant';
export const noticeCategories = ['transactional', 'marketing'] as const;
export type NoticeCategory = (typeof noticeCategories)[number];

interface KindSpec {
  audience: NoticeAudience;
  category: NoticeCategory;
  placeholders: readonly string[];
}

const customer = (...placeholders: string[]): KindSpec => ({
  audience: 'customer',
  category: 'transactional',
  placeholders: ['orderId', ...placeholders],
});
const merchant = (...placeholders: string[]): KindSpec => ({
  audience: 'merchant',
  category: 'transactional',
  placeholders: ['orderId', ...placeholders],
});
/** After-sales steps the after-sales workflow reports to the customer (kind = its timeline type). */
const afterSales = customer('requestId', 'status');

export const NOTICE_KINDS = {
  // Customer milestones derived from the order's timeline (store/notices.ts).
  'order.confirmed': customer(),
  'payment.received': customer('amount'),
  'shipment.shipped': customer('courier', 'trackingNumber'),
  'shipment.out_for_delivery': customer('courier', 'trackingNumber'),
  'shipment.delivered': customer('courier', 'trackingNumber'),
  'shipment.delivery_failed': customer('courier', 'trackingNumber'),
  'receipt.auto_confirmed': customer(),
  'refund.issued': customer('amount'),
  // Queued by the order workflow itself.
  'stock.short': customer('until'),
  // After-sales progress, queued by the after-sales workflow.
  'after_sales.requested': afterSales,
  'after_sales.approved': afterSales,
  'after_sales.rejected': afterSales,
  'after_sales.expired': afterSales,
  'after_sales.return_picked_up': afterSales,
  'after_sales.return_received': afterSales,
  'after_sales.return_failed': afterSales,
  'after_sales.inspected': afterSales,
  'after_sales.restocked': afterSales,
  'after_sales.refunded': afterSales,
  'after_sales.compensated': afterSales,
  'after_sales.exchanged': afterSales,
  'after_sales.replacement_allocated': afterSales,
  'after_sales.repaired': afterSales,
  'after_sales.repaired_goods_shipped': afterSales,
  'after_sales.stock_short': customer('requestId', 'status', 'until'),
  'after_sales.stock_decided': afterSales,
  // Merchant notices.
  'order.new': merchant('amount'),
  'merchant.sla_warning': merchant('awaiting', 'until'),
  'after_sales.awaiting_decision': merchant('requestId', 'type', 'until'),
  'after_sales.awaiting_inspection': merchant('requestId', 'type', 'until'),
  'stock.low': { audience: 'merchant', category: 'transactional', placeholders: ['sku', 'warehouseId', 'available'] },
  // Anything queued under a kind this table does not know yet still reaches its recipient.
  generic: customer('kind'),
} as const satisfies Record<string, KindSpec>;

export type NoticeKind = keyof typeof NOTICE_KINDS;

export const isNoticeKind = (kind: string): kind is NoticeKind => Object.hasOwn(NOTICE_KINDS, kind);

export const kindSpec = (kind: string): KindSpec => NOTICE_KINDS[isNoticeKind(kind) ? kind : 'generic'];
