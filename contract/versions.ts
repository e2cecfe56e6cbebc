/**
 * The order lifecycle's workflow types, by version (docs/decisions/092-a-redesign-is-a-new-workflow-type.md).
 * A redesign of the order, its shipments and its after-sales requests is a new version: the same
 * workflow ids (`order-<orderId>`, …), signals, updates and queries, under new type names. New orders
 * start the current version, and a run starts its children of its own version; the worker registers
 * every version listed here until the older ones' runs have all closed (`npm run workflow-versions`).
 */
export const LIFECYCLE_TYPES = {
  /** Orders started before decision 092: every change since their start is behind `patched()`. */
  1: { order: 'orderWorkflow', shipment: 'shipmentWorkflow', afterSales: 'afterSalesWorkflow' },
  /** Version 1's code with every one of its patches taken from the start: no patch markers. */
  2: { order: 'orderWorkflowV2', shipment: 'shipmentWorkflowV2', afterSales: 'afterSalesWorkflowV2' },
  /**
   * The lean shape (docs/decisions/100): an order follows its own parcels inside its workflow (no
   * shipment child); its after-sales requests keep their parcels as `shipmentWorkflowV3` children.
   */
  3: { order: 'orderWorkflowV3', shipment: 'shipmentWorkflowV3', afterSales: 'afterSalesWorkflowV3' },
  /**
   * Version 3's shape with its database steps batched (docs/decisions/107): the steps a run takes
   * between two waits are one local activity (`runSteps`), not one each.
   */
  4: { order: 'orderWorkflowV4', shipment: 'shipmentWorkflowV4', afterSales: 'afterSalesWorkflowV4' },
  /**
   * Version 4's with each provider call of the order's main path tried once as a local activity first
   * (docs/decisions/110): a regular activity only for the attempts after a failed one.
   */
  5: { order: 'orderWorkflowV5', shipment: 'shipmentWorkflowV5', afterSales: 'afterSalesWorkflowV5' },
} as const;

export type LifecycleVersion = keyof typeof LIFECYCLE_TYPES;
export type LifecycleTypes = (typeof LIFECYCLE_TYPES)[LifecycleVersion];
export type LifecycleRole = keyof LifecycleTypes;

/** The version new orders start. */
export const CURRENT_LIFECYCLE = 5 satisfies LifecycleVersion;

/**
 * Whether orders of a version follow their parcels themselves (version 3 on, docs/decisions/100): no
 * shipment child; the logistics webhook signals the order (`parcelTracking`) the shipment row names.
 */
export const holdsParcels = (version: LifecycleVersion): boolean => version >= 3;

/** Whether a version's runs batch their database steps (version 4 on, docs/decisions/107). */
export const batchesSteps = (version: LifecycleVersion): boolean => version >= 4;

/**
 * Whether a version's runs try their main path's provider calls once as a local activity first
 * (version 5 on, docs/decisions/110).
 */
export const callsProvidersLocallyFirst = (version: LifecycleVersion): boolean => version >= 5;

export const LIFECYCLE_VERSIONS = Object.keys(LIFECYCLE_TYPES).map(Number) as LifecycleVersion[];

/** Every workflow type of a role that can still be running: whatever lists or counts runs by type asks for all of them. */
export const workflowTypesOf = (role: LifecycleRole): string[] =>
  LIFECYCLE_VERSIONS.map((v) => LIFECYCLE_TYPES[v][role]);

/** The version a workflow type belongs to, if it is one of the lifecycle's. */
export function lifecycleVersionOf(workflowType: string): LifecycleVersion | undefined {
  return LIFECYCLE_VERSIONS.find((v) => (Object.values(LIFECYCLE_TYPES[v]) as string[]).includes(workflowType));
}

/** A visibility query for the open runs of some workflow types (Temporal's list filter syntax). */
export const openRunsQuery = (types: readonly string[]) =>
  `WorkflowType IN (${types.map((t) => `'${t}'`).join(', ')}) AND ExecutionStatus = 'Running'`;
