import { patched } from '@temporalio/workflow';

/**
 * Changes to the command sequence of existing paths, one named patch each, so that requests already
 * running replay unchanged (docs/architecture.md, "Changing a running workflow").
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

/** New requests record every patch marker before their first activity; older ones replay as they ran. */
export function decidePatchesAtStart(): void {
  if (!patched(PATCH.decidedAtStart)) return;
  for (const id of Object.values(PATCH)) patched(id);
}
