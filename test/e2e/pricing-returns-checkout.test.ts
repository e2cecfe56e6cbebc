// What returns after delivery give back of checkout, on the real stack (Temporal + PostgreSQL, the
// HTTP API through app.inject, signed courier webhooks), PRICING_PROMOTIONS=on:
//   - redeemed points come back in proportion to the money refunded for returned units, all of them
//     when every unit comes back (decision 078), once however often the order is projected;
//   - the coupon comes back only when the whole order is returned and its template is still valid
//     (decision 079); a partial return never restores it;
//   - a refund's reversal of earned points the customer already spent reports what was taken, never
//     more, and the balance never goes negative (decision 080).
// Promotions are scoped to SKUs this file creates.
import type { OrderState } from '../../domain';
import { giveBackOnReturns } from '../../store/checkout';
import { issueCoupon, PROMOTION_WINDOW as window } from '../helpers/pricing';
import { afterSalesHelpers, WINDOWS } from '../helpers/after-sales';
import { createSku } from '../helpers/catalog';
import { recordHistory } from '../helpers/fixtures';
import { deliverAll, KEYS, orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { eventually, expectOk, send, uid } from '../api/api-helpers';

const stack = useStack({ env: { PRICING_PROMOTIONS: 'on' } });
const { request, shipBack, inspect, waitForRequestStatus, timelineOf } = afterSalesHelpers(stack);
jest.setTimeout(180_000);

const membershipOf = async (customerId: string) =>
  expectOk(await send(stack.app, 'GET', `/v1/customers/${customerId}/membership`, KEYS.platform));
const couponOf = (code: string) => stack.db.coupon.findUniqueOrThrow({ where: { code } });
const returnedPoints = async (orderId: string) =>
  (await stack.db.pointsEntry.findMany({ where: { orderId, reason: 'returned' } })).reduce((t, e) => t + e.delta, 0);

/** A customer of the test's own holding `points`. */
async function customerWith(points: number) {
  const customer = { id: uid('cust-rc'), name: '孙七', phone: '+86 139 0000 0002' };
  await stack.db.customer.create({ data: customer });
  if (points > 0)
    await stack.db.pointsEntry.create({
      data: { id: `${customer.id}:seed`, customerId: customer.id, delta: points, reason: 'earned' },
    });
  return customer;
}

/** m-demo's 满100减10.01 on one SKU of the test's own: 3 × 10000 − 1001 = 28999. */
async function discountedSku(stock = 3) {
  const sku = await createSku(stack.db, { price: 10000, stock: { 'wh-shanghai': stock } });
  expectOk(
    await send(stack.app, 'POST', '/v1/promotions', KEYS.merchant, {
      code: uid('RC').toUpperCase(),
      name: '满100减10.01',
      ...window,
      rule: { kind: 'spend_save', scope: { skus: [sku] }, tiers: [{ threshold: 10000, off: 1001 }] },
    }),
    201,
  );
  return sku;
}

const couponFor = (customerId: string) => issueCoupon(stack.app, customerId);

/** Returns `quantity` units (no reason, inspected fine) and waits until the order shows the refund. */
async function giveBack(orderId: string, sku: string, quantity: number, refundedBefore: number) {
  const r = expectOk(await request(orderId, { type: 'return', lines: [{ sku, quantity }], reason: 'no_reason' }), 201);
  await shipBack(r.id);
  expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
  const done = await waitForRequestStatus(r.id, 'completed');
  const refunded = done.resolution.refunded as number;
  await waitForOrder(stack.app, orderId, (o) => o.payments[0].refunded === refundedBefore + refunded);
  return refunded;
}

// By hand: 30000 − 1001 (满减) = 28999; − 2000 (coupon) = 26999; − 1000 points (¥10) = 25999 paid by
// the one line, its units 8666, 8666, 8667. Returning one unit refunds 8666: ⌊1000 × 8666 / 25999⌋ =
// 333 points back; the other two (17333) bring the total to 25999, so all 1000.
async function orderWithCouponAndPoints() {
  const sku = await discountedSku();
  const customer = await customerWith(2000);
  const coupon = await couponFor(customer.id);
  const placed = await submitOrder(
    stack.app,
    orderBody({
      customer,
      lines: [{ sku, quantity: 3 }],
      couponCode: coupon.code,
      pointsToRedeem: 1000,
      policy: WINDOWS,
    }),
  );
  expectOk(placed.res, 201);
  expect(placed.body.totals).toMatchObject({ discount: 1001 + 2000, pointsRedeemed: 1000, total: 25999 });
  await deliverAll(stack.app, placed.body.id);
  return { sku, customer, coupon, orderId: placed.body.id as string };
}

test('a partial return gives back redeemed points in proportion and keeps the coupon; the whole order back restores both, once', async () => {
  const { sku, customer, coupon, orderId } = await orderWithCouponAndPoints();
  expect((await membershipOf(customer.id)).points.balance).toBe(1000);

  const first = await giveBack(orderId, sku, 1, 0);
  expect(first).toBe(8666);
  await eventually(
    () => returnedPoints(orderId),
    (p) => p === 333,
    'a third of the points back',
  );
  expect(await couponOf(coupon.code)).toMatchObject({ status: 'redeemed', redeemedOrderId: orderId });
  const afterFirst = (await stack.db.order.findUniqueOrThrow({ where: { id: orderId } }))
    .snapshot as unknown as OrderState;

  const rest = await giveBack(orderId, sku, 2, first);
  expect(first + rest).toBe(25999);
  await eventually(
    () => couponOf(coupon.code),
    (c) => c.status === 'issued',
    'the coupon given back',
  );
  expect(await couponOf(coupon.code)).toMatchObject({ redeemedOrderId: null, redeemedAt: null });
  expect(await returnedPoints(orderId)).toBe(1000);
  const m = await membershipOf(customer.id);
  expect(m.points.balance).toBe(2000);
  expect(m.coupons).toEqual(expect.arrayContaining([expect.objectContaining({ code: coupon.code, status: 'issued' })]));
  const entries = await stack.db.pointsEntry.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
  expect(entries.map((e) => [e.reason, e.delta])).toEqual([
    ['redeemed', -1000],
    ['returned', 333],
    ['returned', 667],
  ]);

  // Projections retried late, the older one too, give back nothing twice.
  const latest = (await stack.db.order.findUniqueOrThrow({ where: { id: orderId } })).snapshot as unknown as OrderState;
  await Promise.all([
    stack.db.$transaction((tx) => giveBackOnReturns(tx, latest)),
    stack.db.$transaction((tx) => giveBackOnReturns(tx, afterFirst)),
  ]);
  expect(await returnedPoints(orderId)).toBe(1000);
  expect((await membershipOf(customer.id)).points.balance).toBe(2000);

  // The coupon prices the customer's next cart again.
  const quote = expectOk(
    await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
      channel: 'web',
      customerId: customer.id,
      province: '上海',
      lines: [{ sku, quantity: 2 }],
      couponCode: coupon.code,
    }),
  );
  expect(quote.adjustments).toEqual(
    expect.arrayContaining([expect.objectContaining({ source: 'coupon', amount: 2000 })]),
  );
});

test('a whole return after the coupon’s validity ended gives the points back but not the coupon', async () => {
  const { sku, coupon, orderId } = await orderWithCouponAndPoints();
  // The coupon's campaign ends while the goods travel back.
  await stack.db.couponTemplate.update({
    where: { id: coupon.templateId },
    data: { endsAt: new Date(Date.now() - 1000) },
  });
  await giveBack(orderId, sku, 3, 0);
  await eventually(
    () => returnedPoints(orderId),
    (p) => p === 1000,
    'every redeemed point back',
  );
  expect(await couponOf(coupon.code)).toMatchObject({ status: 'redeemed', redeemedOrderId: orderId });
});

test('points earned and already spent: the reversal takes and reports at most the balance, never below zero', async () => {
  const sku = await discountedSku(2);
  const customer = await customerWith(0);
  // 2 × 10000 − 1001 = 18999 (units 9499, 9500); completion earns ⌊18999 / 100⌋ = 189 points.
  const placed = await submitOrder(stack.app, orderBody({ customer, lines: [{ sku, quantity: 2 }], policy: WINDOWS }));
  expectOk(placed.res, 201);
  const orderId = placed.body.id as string;
  await deliverAll(stack.app, orderId);
  expectOk(await send(stack.app, 'POST', `/v1/orders/${orderId}/confirm-receipt`, KEYS.platform));
  await waitForOrder(stack.app, orderId, (o) => o.status === 'completed' && o.points?.credited === 189);
  await eventually(
    () => membershipOf(customer.id),
    (m) => m.points.balance === 189,
    'points credited',
  );

  // The customer spends 150 of them on another order: 39 are left.
  const other = await createSku(stack.db, { price: 1000, stock: { 'wh-shanghai': 1 } });
  const spent = await submitOrder(
    stack.app,
    orderBody({ customer, lines: [{ sku: other, quantity: 1 }], pointsToRedeem: 150, policy: WINDOWS }),
  );
  expectOk(spent.res, 201);
  expect((await membershipOf(customer.id)).points.balance).toBe(39);

  // One unit back: 9499 refunded, so 189 − ⌊9500 / 100⌋ = 94 points are due; only 39 can be taken.
  await giveBack(orderId, sku, 1, 0);
  const order = await waitForOrder(stack.app, orderId, (o) => o.points?.reversed > 0);
  expect(order.points).toEqual({ credited: 189, reversed: 39 });
  const reversed = (await timelineOf(orderId)).filter((e) => e.type === 'points.reversed');
  expect(reversed).toEqual([
    expect.objectContaining({ actor: 'system', detail: expect.objectContaining({ points: 39 }) }),
  ]);
  const entries = await stack.db.pointsEntry.findMany({ where: { orderId, reason: { not: 'earned' } } });
  expect(entries.filter((e) => e.delta < 0).map((e) => e.delta)).toEqual([-39]);
  expect((await membershipOf(customer.id)).points.balance).toBe(0);
  recordHistory(`order-${orderId}`, 'order-points-reversal-short-balance');
});
