/** Workflow ids with business meaning: an order's id comes from the API, everything else derives from it. */
export const orderWorkflowId = (orderId: string) => `order-${orderId}`;
export const shipmentWorkflowId = (orderId: string, seq: number) => `shipment-${orderId}-${seq}`;
export const afterSalesWorkflowId = (requestId: string) => `after-sales-${requestId}`;
export const refundWorkflowId = (refundId: string) => `refund-${refundId}`;
