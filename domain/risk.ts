import type { Address } from './order';
import type { Policy } from './policy';

/**
 * Risk control (docs/risk.md): rules score an order into one outcome. The strictest rule wins:
 * reject (frozen account, blocklist, amount limit, velocity) > review by support (high amount) >
 * step-up verification by the customer (new account with a high amount) > approve.
 */
export type RiskOutcome =
  | { decision: 'approve' }
  | { decision: 'review'; reason: string }
  | { decision: 'step_up'; reason: string }
  | { decision: 'reject'; reason: string };

export type RiskDecision = RiskOutcome['decision'];

export interface RiskFacts {
  total: number;
  /** Orders this customer submitted within the velocity window, this one included. */
  recentOrdersByCustomer: number;
  /** The same, per phone number and per shipping address (when those rules are on). */
  recentOrdersByPhone?: number;
  recentOrdersByAddress?: number;
  /** Support froze the account: its new orders are rejected. */
  frozen?: { reason: string };
  /** Which of the order's identities support blocklisted (customer, phone, address). */
  blocklisted?: Array<{ kind: BlocklistKind; reason: string }>;
  /** Seconds since the account was first seen (its first order). */
  accountAgeSeconds?: number;
}

export const blocklistKinds = ['customer', 'phone', 'address'] as const;
export type BlocklistKind = (typeof blocklistKinds)[number];

export function assessRisk(facts: RiskFacts, policy: Policy): RiskOutcome {
  const reject = (reason: string): RiskOutcome => ({ decision: 'reject', reason });
  if (facts.frozen) return reject(`the customer account is frozen by support: ${facts.frozen.reason}`);
  const blocked = facts.blocklisted?.[0];
  if (blocked) return reject(`the order's ${blocked.kind} is blocklisted: ${blocked.reason}`);
  if (facts.total > policy.riskAmountLimit)
    return reject(`order total ${facts.total} exceeds the limit of ${policy.riskAmountLimit}`);
  const window = policy.riskVelocityWindowSeconds;
  if (facts.recentOrdersByCustomer > policy.riskVelocityLimit) {
    return reject(
      `customer placed ${facts.recentOrdersByCustomer} orders within ${window}s (limit ${policy.riskVelocityLimit})`,
    );
  }
  const velocity = [
    ['phone number', facts.recentOrdersByPhone, policy.riskPhoneVelocityLimit],
    ['shipping address', facts.recentOrdersByAddress, policy.riskAddressVelocityLimit],
  ] as const;
  for (const [what, count, limit] of velocity) {
    if (limit !== undefined && count !== undefined && count > limit)
      return reject(`${count} orders to the same ${what} within ${window}s (limit ${limit})`);
  }
  if (facts.total > policy.riskReviewAmount)
    return {
      decision: 'review',
      reason: `order total ${facts.total} is above ${policy.riskReviewAmount}: a support review is required`,
    };
  if (
    facts.accountAgeSeconds !== undefined &&
    facts.accountAgeSeconds < policy.riskNewAccountSeconds &&
    facts.total > policy.riskNewAccountAmount
  ) {
    return {
      decision: 'step_up',
      reason: `a new account (first seen ${Math.floor(facts.accountAgeSeconds)}s ago) ordering ${facts.total}, above ${policy.riskNewAccountAmount}: the customer must verify`,
    };
  }
  return { decision: 'approve' };
}

/**
 * What velocity and blocklists match on, without keeping the PII itself: phones by their digits,
 * addresses by their normalized text (case, spaces and punctuation ignored). The activity stores
 * only a SHA-256 of these.
 */
export function riskIdentity(
  kind: BlocklistKind,
  value: string | Pick<Address, 'province' | 'city' | 'district' | 'line1'>,
): string {
  if (kind === 'customer') return String(value as string).trim();
  if (kind === 'phone') return String(value as string).replace(/\D+/g, '');
  const a = value as Pick<Address, 'province' | 'city' | 'district' | 'line1'>;
  const text = typeof value === 'string' ? value : [a.province, a.city, a.district, a.line1].join('|');
  return text.toLowerCase().replace(/[\s,.，。、#-]+/g, '');
}
