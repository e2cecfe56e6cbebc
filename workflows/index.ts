// Every workflow type the worker registers. The order lifecycle's types of each version in
// contract/versions.ts stay registered until that version's runs have all closed (decision 092).
export { orderWorkflow, orderWorkflowV2 } from './order';
export { shipmentWorkflow, shipmentWorkflowV2 } from './shipment';
export { afterSalesWorkflow, afterSalesWorkflowV2 } from './after-sales';
export { reconciliationWorkflow } from './reconciliation';
export { refundConfirmationWorkflow } from './refund';
