// Every workflow type the worker registers. The order lifecycle's types of each version in
// contract/versions.ts stay registered until that version's runs have all closed (decision 092).
export { orderWorkflow, orderWorkflowV2, orderWorkflowV3, orderWorkflowV4, orderWorkflowV5 } from './order';
export {
  shipmentWorkflow,
  shipmentWorkflowV2,
  shipmentWorkflowV3,
  shipmentWorkflowV4,
  shipmentWorkflowV5,
} from './shipment';
export {
  afterSalesWorkflow,
  afterSalesWorkflowV2,
  afterSalesWorkflowV3,
  afterSalesWorkflowV4,
  afterSalesWorkflowV5,
} from './after-sales';
export { reconciliationWorkflow } from './reconciliation';
export { refundConfirmationWorkflow } from './refund';
