import { db } from '../activities';
import { OrderStop, seconds, type OrderRun } from './run';

/**
 * Risk control (docs/payments.md, "Risk control"): approve, reject, or hold the order for support's
 * review or the customer's step-up verification. Returns the payment deadline, which starts again
 * once a held order is approved.
 */
export async function assessRisk(run: OrderRun, paymentDeadline: string): Promise<string> {
  const { input, orderId, policy } = run;
  const risk = await db.assessOrderRisk({
    orderId,
    customerId: input.customer.id,
    total: input.totals.total,
    submittedAt: input.submittedAt,
    policy,
    phone: input.customer.phone,
    address: input.shippingAddress,
  });
  if (risk.decision === 'reject') throw new OrderStop('rejected', risk.reason, 'risk-control');
  run.checkpoint();
  if (risk.decision === 'review' || risk.decision === 'step_up')
    return holdForRisk(run, { decision: risk.decision, reason: risk.reason });
  return paymentDeadline;
}

/**
 * `under_review` until support reviews (within the review SLA) or the customer verifies (within the
 * verification window); silence applies the policy's default. The stock stays reserved meanwhile.
 */
async function holdForRisk(run: OrderRun, risk: { decision: 'review' | 'step_up'; reason: string }): Promise<string> {
  const { state, policy, inbox } = run;
  const review = risk.decision === 'review';
  const windowSeconds = review ? policy.riskReviewSlaSeconds : policy.riskVerificationWindowSeconds;
  const until = new Date(Date.now() + seconds(windowSeconds)).toISOString();
  state.risk = { ...risk };
  state.pendingDecision = review
    ? { awaiting: 'risk_review', actor: 'support', until }
    : { awaiting: 'verification', actor: 'platform', until };
  await run.moveTo('under_review', {
    type: review ? 'risk.review_requested' : 'risk.verification_requested',
    actor: 'risk-control',
    detail: { reason: risk.reason, until },
  });
  await run.waitFor(() => inbox.riskAnswer !== undefined, windowSeconds);
  const answer = inbox.riskAnswer ?? {
    approved: review && policy.riskReviewExpiryAction === 'approve',
    actor: 'policy:risk-window',
    note: `${review ? 'no review within the SLA' : 'no verification within the window'} (default: ${review ? policy.riskReviewExpiryAction : 'reject'})`,
  };
  state.pendingDecision = undefined;
  Object.assign(state.risk, {
    outcome: answer.approved ? 'approved' : 'rejected',
    decidedBy: answer.actor,
    note: answer.note,
  });
  if (!answer.approved)
    throw new OrderStop('rejected', `${review ? 'risk review' : 'step-up verification'}: ${answer.note}`, answer.actor);
  await run.publish({ type: 'risk.approved', actor: answer.actor, detail: { note: answer.note } });
  inbox.riskSettled = true;
  return new Date(Date.now() + seconds(policy.paymentWindowSeconds)).toISOString();
}
