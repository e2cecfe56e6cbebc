/** Workflow ids with business meaning: an order's id comes from the API, everything else derives from it. */
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
/**
 * A shipment's id, and its workflow's where it is a workflow of its own (orders of lifecycle versions 1
 * and 2); a version 3 order follows its parcels itself, so the id names a row and a parcel only
 * (docs/decisions/100).
 */
export const shipmentWorkflowId = (orderId: string, seq: number) => `shipment-${orderId}-${seq}`;
export const afterSalesWorkflowId = (requestId: string) => `after-sales-${requestId}`;
export const refundWorkflowId = (refundId: string) => `refund-${refundId}`;
