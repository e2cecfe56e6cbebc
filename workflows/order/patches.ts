import { holdsParcels as ordersHoldParcels } from '../../contract';
import { Lifecycle } from '../shared/lifecycle';
import { PARCEL_PATCHES } from '../shared/parcel';

/**
 * Changes to the command sequence of existing paths, one named patch each, so that orders already
 * running replay unchanged (docs/architecture.md, "Changing a running workflow"). These are version
 * 1's (`orderWorkflow`); version 2 (`orderWorkflowV2`) took all of them from its start, with no marker,
 * so the list is closed: a later change to version 2 gets a patch of its own outside it (decision 092).
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

/** The order's lifecycle by the type that started it: version 1 asks `patched()`, version 2 took every patch above. */
export const ORDER_LIFECYCLE = {
  1: Lifecycle.v1(),
  2: Lifecycle.v2(Object.values(PATCH)),
  /**
   * The lean shape: parcels followed inside the order (docs/decisions/100), so it took every patch
   * above and every patch of the parcel's logic (workflows/shared/parcel.ts).
   */
  3: Lifecycle.taking(3, [...Object.values(PATCH), ...PARCEL_PATCHES]),
  /** Version 3's code with its database steps batched (docs/decisions/107). */
  4: Lifecycle.taking(4, [...Object.values(PATCH), ...PARCEL_PATCHES]),
  /** Version 4's code with its provider calls tried locally first (docs/decisions/110). */
  5: Lifecycle.taking(5, [...Object.values(PATCH), ...PARCEL_PATCHES]),
} as const;

/** Whether the order follows its parcels itself (version 3 on) rather than as shipment children. */
export const holdsParcels = (lifecycle: Lifecycle) => ordersHoldParcels(lifecycle.version);

/**
 * Version 1 orders started since `decidedAtStart` record every patch marker before their first
 * activity, so no `patched()` can follow a local activity into another workflow task; the calls where
 * the code runs then answer true without a command. Orders started before it keep their markers where
 * they were (replay). Version 2 records none.
 */
export const decidePatchesAtStart = (lifecycle: Lifecycle) =>
  lifecycle.decideAtStart(PATCH.decidedAtStart, Object.values(PATCH));
