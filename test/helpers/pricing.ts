// Shared by the real-stack pricing files (docs/pricing.md): the window their promotions and coupons
// run in, a coupon issued through the API, and a line's paid price per unit (decision 055).
import type { FastifyInstance } from 'fastify';
import { expectOk, send } from '../api/api-helpers';
import { KEYS } from './stack';

export const PROMOTION_WINDOW = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z' };

/** A ¥20-off-¥100 coupon template of m-demo, issued to one customer through the API. */
export async function issueCoupon(app: FastifyInstance, customerId: string) {
  const template = expectOk(
    await send(app, 'POST', '/v1/coupon-templates', KEYS.merchant, {
      name: '¥20 off ¥100',
      kind: 'amount',
      amount: 2000,
      minSpend: 10000,
      ...PROMOTION_WINDOW,
    }),
    201,
  );
  const issued = expectOk(
    await send(app, 'POST', `/v1/coupon-templates/${template.id}/issue`, KEYS.merchant, { customerIds: [customerId] }),
  );
  return { templateId: template.id as string, code: issued.coupons[0].code as string };
}

/** What `count` units of a line paying `paid` for `quantity` give back, starting after `from` (decision 055). */
export function unitsPaid(paid: number, quantity: number, from: number, count: number): number {
  const unit = Math.floor(paid / quantity);
  const dearer = paid - unit * quantity; // the last `dearer` units pay one fen more
  let sum = 0;
  for (let i = from; i < from + count; i++) sum += unit + (i >= quantity - dearer ? 1 : 0);
  return sum;
}
