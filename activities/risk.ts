import { assessRisk, type Policy, type RiskOutcome } from '../domain';
import type { ActivityDeps } from './deps';

export function createRiskActivities({ db }: ActivityDeps) {
  return {
    /** Gathers the facts the rules need (velocity from the read model) and applies domain/risk.ts. */
    async assessOrderRisk(req: { orderId: string; customerId: string; total: number; submittedAt: string; policy: Policy }): Promise<RiskOutcome> {
      const since = new Date(Date.parse(req.submittedAt) - req.policy.riskVelocityWindowSeconds * 1000);
      const recentOrdersByCustomer = await db.order.count({ where: { customerId: req.customerId, createdAt: { gte: since } } });
      return assessRisk({ total: req.total, recentOrdersByCustomer }, req.policy);
    },
  };
}
