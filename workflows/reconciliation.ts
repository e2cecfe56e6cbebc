import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { reconcilePayments } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export interface ReconciliationInput {
  /** How far back each run looks (runs overlap, so a late record is still compared). */
  lookbackSeconds: number;
  /** Records younger than this are left for the next run: their calls may still be in flight. */
  settleSeconds: number;
}

/**
 * One reconciliation run, started by the `reconciliation` Temporal Schedule (workers/schedules.ts):
 * compares the providers' books with ours over a window ending `settleSeconds` ago and keeps the
 * differences for support. The workflow id of the scheduled run identifies the report.
 */
export async function reconciliationWorkflow(input: ReconciliationInput) {
  const to = Date.now() - input.settleSeconds * 1000;
  return reconcilePayments({
    runId: workflowInfo().workflowId,
    from: new Date(to - input.lookbackSeconds * 1000).toISOString(),
    to: new Date(to).toISOString(),
  });
}
