import { Lifecycle } from '../shared/lifecycle';

/**
 * Changes to the command sequence of existing paths, one named patch each, so that requests already
 * running replay unchanged (docs/architecture.md, "Changing a running workflow"). These are version
 * 1's (`afterSalesWorkflow`); version 2 (`afterSalesWorkflowV2`) took both from its start (decision 092).
 */
export const PATCH = {
  /** An exchange's short replacement is negotiated with the customer (before: the short units were refunded at once). */
  negotiatesShortage: 'after-sales-negotiates-shortage',
  /**
   * Every patch here is decided in the request's first workflow task (before: each where its code
   * runs, the shortage's right after the replacement's allocation, a local activity, which a query or
   * a worker kill can split from it; see workflows/order/patches.ts and docs/testing.md, "Known issues").
   */
  decidedAtStart: 'after-sales-patches-decided-at-start',
} as const;

/** The request's lifecycle by the type that started it: version 1 asks `patched()`, versions 2 and 3 took every patch above. */
export const AFTER_SALES_LIFECYCLE = {
  1: Lifecycle.v1(),
  2: Lifecycle.v2(Object.values(PATCH)),
  /** Version 2's code; its parcels are `shipmentWorkflowV3` children (docs/decisions/100). */
  3: Lifecycle.taking(3, Object.values(PATCH)),
  /** Version 3's code with its database steps batched (docs/decisions/107); its parcels are `shipmentWorkflowV4` children. */
  4: Lifecycle.taking(4, Object.values(PATCH)),
  /** Version 4's code with its provider calls tried locally first (docs/decisions/110); its parcels are `shipmentWorkflowV5` children. */
  5: Lifecycle.taking(5, Object.values(PATCH)),
} as const;

/** Version 1 requests record every patch marker before their first activity; older ones replay as they ran; version 2 records none. */
export const decidePatchesAtStart = (lifecycle: Lifecycle) =>
  lifecycle.decideAtStart(PATCH.decidedAtStart, Object.values(PATCH));
