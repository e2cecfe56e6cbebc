/**
 * Changes to the command sequence of existing paths, one named patch each, so that requests already
 * running replay unchanged (docs/architecture.md, "Changing a running workflow").
 */
export const PATCH = {
  /** An exchange's short replacement is negotiated with the customer (before: the short units were refunded at once). */
  negotiatesShortage: 'after-sales-negotiates-shortage',
} as const;
