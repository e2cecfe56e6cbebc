// docs/pricing.md "Membership" and decision 072 on the real stack (Temporal + PostgreSQL, requests
// through app.inject, courier webhooks): completed orders raise the customer's tier, its member
// discount and free shipping price the next quote, the tier's points bonus is credited once however
// often the completion is projected, and a refund lowers growth (and the tier) and takes back the
// bonus in proportion.
import { createProjectionActivities } from '../../activities/projection';
import { createActivities } from '../../activities';
import type { OrderState, Tier } from '../../domain';
import { afterSalesHelpers } from '../helpers/after-sales';
import { createMerchant } from '../helpers/catalog';
import { KEYS, useStack, waitForOrder, waitForStatus } from '../helpers/stack';
import { eventually, expectOk, send, uid } from './api-helpers';

const tier = (name: string, minGrowth: number, over: Partial<Tier> = {}): Tier => ({
  name,
  minGrowth,
  memberDiscountPercent: 0,
  pointsMultiplier: 1,
  freeShipping: false,
  flashSaleEarlyMinutes: 0,
  ...over,
});
// Tier names of this file only: the platform-wide member discount below admits no other file's customers.
const LADDER = [
  tier('t-basic', 0),
  tier('t-plus', 15_000, { memberDiscountPercent: 5, pointsMultiplier: 1.5 }),
  tier('t-vip', 35_000, { memberDiscountPercent: 10, pointsMultiplier: 2, freeShipping: true }),
];
const stack = useStack({ env: { PRICING_PROMOTIONS: 'on', MEMBERSHIP_TIERS: JSON.stringify(LADDER) } });
const { deliveredOrder, request, waitForRequestStatus } = afterSalesHelpers(stack);
jest.setTimeout(180_000);

const membership = async (customerId: string) =>
  expectOk(await send(stack.app, 'GET', `/v1/customers/${customerId}/membership`, KEYS.support));
const membershipOnce = (customerId: string, done: (m: any) => boolean, what: string) =>
  eventually(() => membership(customerId), done, what);
const ledgerOf = async (customerId: string) =>
  (await stack.db.pointsEntry.findMany({ where: { customerId } }))
    .map((e) => [e.id.replace(/^[^:]+:/, ''), e.delta] as const)
    .sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);

async function complete(orderId: string) {
  expectOk(await send(stack.app, 'POST', `/v1/orders/${orderId}/confirm-receipt`, KEYS.platform));
  return waitForOrder(stack.app, orderId, (o) => o.status === 'completed' && o.points !== undefined);
}

/** The completion projected again, as a retried activity would, twice at once: the read model's own state and entry. */
async function projectCompletionAgain(orderId: string) {
  const row = await stack.db.order.findUniqueOrThrow({ where: { id: orderId } });
  const event = await stack.db.orderEvent.findFirstOrThrow({ where: { orderId, seq: row.version } });
  const entry = {
    type: event.type,
    actor: event.actor,
    detail: event.detail as Record<string, unknown>,
    at: event.occurredAt.toISOString(),
  };
  const { projectOrder } = createProjectionActivities({
    db: stack.db,
    providers: stack.providers,
    membership: stack.config.membership,
  });
  const state = row.snapshot as unknown as OrderState;
  await Promise.all([projectOrder(state, entry), projectOrder(state, entry)]);
  // The workflow's own credit, retried: keyed by the order, so nothing more.
  await createActivities({ db: stack.db, providers: stack.providers }).recordPoints({
    id: `${orderId}:points-earned`,
    customerId: state.customerId,
    orderId,
    delta: state.points!.credited,
    reason: 'order completed',
  });
}

test('completed orders raise the tier; its discount prices the next quote; points once; a refund lowers growth and takes the bonus back', async () => {
  const merchantId = await createMerchant(stack.db, { afterSalesAutoApproveAmount: 1_000_000 });
  await stack.db.shippingRate.create({ data: { merchantId, defaultFee: 800 } });
  const member = expectOk(
    await send(stack.app, 'POST', '/v1/promotions', KEYS.support, {
      code: uid('MEMBER').toUpperCase(),
      name: '会员价',
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2035-01-01T00:00:00Z',
      customerTiers: ['t-plus', 't-vip'],
      rule: { kind: 'member_discount', scope: {} },
    }),
    201,
  );
  // A tier this ladder does not have could never apply: 422 naming the field.
  const unknown = await send(stack.app, 'POST', '/v1/promotions', KEYS.support, {
    code: uid('GOLD').toUpperCase(),
    name: 'gold only',
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2035-01-01T00:00:00Z',
    customerTiers: ['gold'],
    rule: { kind: 'member_discount', scope: {} },
  });
  expect(unknown.statusCode).toBe(422);
  expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'customerTiers.0' })]);
  const customer = { id: uid('cust-tier'), name: '王五', phone: '+86 138 0000 0001' };
  const body = { customer };

  // Order 1 at list price, as the base tier: 2 × 10000 + 800 shipping.
  const first = await deliveredOrder({ merchantId, price: 10000, quantity: 2, stock: 10, body });
  expect(first.total).toBe(20800);
  expect((await membership(customer.id)).tier).toBe('t-basic');
  await complete(first.orderId);
  const plus = await membershipOnce(customer.id, (m) => m.growth.value === 20800, 'growth after order 1');
  expect(plus).toMatchObject({
    tier: 't-plus',
    benefits: { memberDiscountPercent: 5, pointsMultiplier: 1.5, freeShipping: false },
    nextTier: { name: 't-vip', minGrowth: 35_000, missing: 14_200 },
    points: { balance: 208 },
  });

  // The tier's member discount is in the next quote, line by line.
  const quoteFor = async () =>
    expectOk(
      await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
        channel: 'web',
        customerId: customer.id,
        province: '上海',
        lines: [{ sku: first.sku, quantity: 2 }],
      }),
    );
  const asPlus = await quoteFor();
  expect(asPlus.adjustments).toEqual([
    expect.objectContaining({ source: 'promotion', kind: 'member_discount', promotionId: member.id, amount: 1000 }),
  ]);
  expect(asPlus.totals).toMatchObject({ subtotal: 20000, discount: 1000, shippingFee: 800, total: 19800 });

  // Order 2 completes as t-plus: 198 base points and a ×1.5 bonus of 99, once.
  const second = await deliveredOrder({
    merchantId,
    price: 10000,
    quantity: 2,
    body: { ...body, lines: [{ sku: first.sku, quantity: 2 }], expectedTotal: 19800 },
  });
  expect(second.total).toBe(19800);
  await complete(second.orderId);
  const vip = await membershipOnce(customer.id, (m) => m.growth.value === 40600, 'growth after order 2');
  expect(vip).toMatchObject({ tier: 't-vip', nextTier: null });
  await eventually(
    () => ledgerOf(customer.id),
    (l) => l.length === 3,
    'the tier bonus credited',
  );
  await projectCompletionAgain(second.orderId);
  expect(await ledgerOf(customer.id)).toEqual([
    ['points-earned', 198],
    ['points-earned', 208],
    ['points-tier-bonus', 99],
  ]);
  expect((await membership(customer.id)).points.balance).toBe(505);

  // As t-vip: 10 % off and no shipping fee.
  const asVip = await quoteFor();
  expect(asVip.adjustments).toEqual([
    expect.objectContaining({ kind: 'member_discount', amount: 2000 }),
    expect.objectContaining({ source: 'shipping', kind: 'member_shipping', amount: 800 }),
  ]);
  expect(asVip.totals).toMatchObject({ discount: 2000, shippingFee: 0, total: 18000 });

  // A partial refund of order 2: growth falls back below t-vip; base points and bonus go back in proportion.
  const refund = expectOk(
    await request(second.orderId, {
      type: 'compensation',
      reason: 'other',
      compensation: { kind: 'refund', amount: 9900 },
    }),
    201,
  );
  await waitForRequestStatus(refund.id, 'completed');
  await waitForOrder(stack.app, second.orderId, (o) => o.points?.reversed === 99);
  const after = await membershipOnce(customer.id, (m) => m.growth.value === 30700, 'growth after the refund');
  expect(after).toMatchObject({ tier: 't-plus', nextTier: { name: 't-vip', missing: 4300 } });
  // 99 of 198 base points reversed → the bonus keeps ⌊99 × 99 / 198⌋ = 49: 50 taken back.
  await eventually(
    () => ledgerOf(customer.id),
    (l) => l.length === 5,
    'the bonus taken back',
  );
  await projectCompletionAgain(second.orderId);
  expect(await ledgerOf(customer.id)).toEqual([
    ['points-earned', 198],
    ['points-earned', 208],
    [`points-reversal:${refund.id}`, -99],
    ['points-tier-bonus', 99],
    ['points-tier-bonus-reversal:99', -50],
  ]);
  expect((await membership(customer.id)).points.balance).toBe(356);
  await waitForStatus(stack.app, second.orderId, 'completed');
});
