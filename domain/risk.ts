import type { Policy } from './policy';

export type RiskOutcome = { decision: 'approve' } | { decision: 'reject'; reason: string };

export interface RiskFacts {
  total: number;
  /** Orders this customer submitted within the velocity window, this one included. */
  recentOrdersByCustomer: number;
}

/** Basic rules (SPEC §3 step 2): amount limit and per-customer velocity. */
export function assessRisk(facts: RiskFacts, policy: Policy): RiskOutcome {
  if (facts.total > policy.riskAmountLimit) {
    return { decision: 'reject', reason: `order total ${facts.total} exceeds the limit of ${policy.riskAmountLimit}` };
  }
  if (facts.recentOrdersByCustomer > policy.riskVelocityLimit) {
    return {
      decision: 'reject',
      reason: `customer placed ${facts.recentOrdersByCustomer} orders within ${policy.riskVelocityWindowSeconds}s (limit ${policy.riskVelocityLimit})`,
    };
  }
  return { decision: 'approve' };
}
