import { patched } from '@temporalio/workflow';

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
  /** A refund's points reversal reports what the ledger took (at most the balance), not what it asked. */
  reportsPointsTaken: 'order-reports-points-taken',
  /**
   * Every patch here is decided in the order's first workflow task (before: each where its code runs).
   * A `patched()` right after a local activity can land in a later workflow task than the activity's
   * marker (a query or a worker kill between them); replaying, the SDK runs it in the earlier task,
   * answers false and the history no longer replays (docs/testing.md, "Known issues").
   */
  decidedAtStart: 'order-patches-decided-at-start',
} as const;

/**
 * New orders record every patch marker before their first activity, so no `patched()` can follow a
 * local activity into another workflow task; the calls where the code runs then answer true without a
 * command. Orders started before this keep their markers where they were (replay).
 */
export function decidePatchesAtStart(): void {
  if (!patched(PATCH.decidedAtStart)) return;
  for (const id of Object.values(PATCH)) patched(id);
}
