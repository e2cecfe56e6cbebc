export { orderWorkflow } from './order';
export { shipmentWorkflow } from './shipment';
export { afterSalesWorkflow } from './after-sales';
export { reconciliationWorkflow } from './reconciliation';
export { refundConfirmationWorkflow } from './refund';
