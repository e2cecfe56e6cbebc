import { condition } from '@temporalio/workflow';
import { autoApproval } from '../../domain/after-sales';
import { db } from '../activities';
import { nowIso, seconds, type AfterSalesRun } from './run';

/** Auto-approval by policy is decided before anything can wait, so a merchant's decision never races it. */
export function autoApprove(run: AfterSalesRun) {
  const auto = autoApproval(run.input, run.policy);
  if (auto) run.inbox.decision = { decision: 'approve', reason: auto, actor: 'policy:auto-approve' };
}

/**
 * The merchant decides within the SLA (docs/after-sales.md), else the request is approved. A
 * rejection closes it; returns whether the request goes on.
 */
export async function decide(run: AfterSalesRun): Promise<boolean> {
  const { state, policy, inbox } = run;
  await db.projectAfterSales(state);
  if (!inbox.decision) {
    const until = new Date(Date.now() + seconds(policy.afterSalesDecisionSeconds)).toISOString();
    state.pendingDecision = { awaiting: 'merchant_decision', actor: 'merchant', until };
    state.version += 1;
    await db.projectAfterSales(state);
    await run.notifyMerchant('after_sales.awaiting_decision', until);
    if (!(await condition(() => inbox.decision !== undefined, seconds(policy.afterSalesDecisionSeconds))))
      inbox.decision = { decision: 'approve', reason: 'the merchant did not answer within the SLA', actor: 'system' };
    state.pendingDecision = undefined;
  }
  const d = inbox.decision!;
  state.decision = { ...d, at: nowIso() };
  if (d.decision === 'reject') {
    await run.step('rejected', { type: 'after_sales.rejected', actor: d.actor, detail: { reason: d.reason } });
    return false;
  }
  return true;
}
