/**
 * Changes to the command sequence of existing paths, one named patch each, so that orders already
 * running replay unchanged (docs/architecture.md, "Changing a running workflow").
 */
export const PATCH = {
  /** A short allocation is negotiated with the customer (before: cancelled at once). */
  negotiatesShortage: 'order-negotiates-shortage',
  notifiesMerchant: 'order-notifies-merchant',
  flagsMerchantSla: 'order-flags-merchant-sla',
  /** Cards are authorized at payment and captured at the first hand-over (before: charged at once). */
  cardAuthorizes: 'order-card-authorizes',
  /** What an undelivered shipment gives back appears on the timeline (before: only in the payment). */
  announcesShipmentRefunds: 'order-announces-shipment-refunds',
  /** Completion credits points and keeps the order open for after-sales until its return window ends. */
  afterSalesWindow: 'order-after-sales-window',
  /** Handlers only post to a mailbox; the main flow carries out their work (before: refunds and extensions ran in the handler). */
  handlersPostToMailbox: 'order-handlers-post-to-mailbox',
} as const;
