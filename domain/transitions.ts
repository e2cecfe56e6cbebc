import type { StepStatus } from './ledger';

/**
 * The order process as one table: from each step status, the steps it may move to. The workflow
 * moves only through `transition()`, so an impossible move is a bug caught at once, not a state.
 */
export const ORDER_TRANSITIONS: Record<StepStatus, readonly StepStatus[]> = {
  submitted: ['under_review', 'awaiting_payment', 'cod_pending', 'paid', 'cancelled', 'rejected'],
  under_review: ['awaiting_payment', 'cod_pending', 'paid', 'cancelled', 'rejected'],
  awaiting_payment: ['paid', 'cancelled'],
  paid: ['awaiting_stock_decision', 'backordered', 'awaiting_merchant', 'fulfilling', 'cancelled'],
  cod_pending: ['awaiting_stock_decision', 'backordered', 'awaiting_merchant', 'fulfilling', 'cancelled'],
  awaiting_stock_decision: ['backordered', 'awaiting_merchant', 'fulfilling', 'cancelled'],
  backordered: ['awaiting_merchant', 'fulfilling', 'cancelled'],
  awaiting_merchant: ['fulfilling', 'cancelled', 'rejected'],
  fulfilling: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
  rejected: [],
};

export const TERMINAL_STATUSES: readonly StepStatus[] = ['completed', 'cancelled', 'rejected'];

export function canTransition(from: StepStatus, to: StepStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}
