// Issue 12, items 4 and 6, end to end on the real stack (Temporal + PostgreSQL, everything through the
// HTTP API via app.inject, only the payment / courier providers simulated), PRICING_PROMOTIONS=on:
// an order priced with a merchant's 满减, a coupon and redeemed points, then
//   1. completed and partly returned through after-sales: the refund is exactly the returned units'
//      paid price as allocated on the order's line, the points earned are taken back in proportion,
//      the coupon stays used, the points redeemed come back in proportion to the refund (decision
//      078), the providers' books and the engine's refund rows agree and the balance is never negative;
//   2. cancelled before anything ships: the coupon is usable again, the points redeemed are back and
//      the promotion's counters are given back, once.
import type { OrderState } from '../../domain';
import { giveBackCheckout } from '../../store/checkout';
import { issueCoupon, PROMOTION_WINDOW as window, unitsPaid } from '../helpers/pricing';
import { afterSalesHelpers, WINDOWS } from '../helpers/after-sales';
import { createSku, providerBooks } from '../helpers/catalog';
import { deliverAll, KEYS, orderBody, submitOrder, useStack, waitForOrder, waitForStatus } from '../helpers/stack';
import { eventually, expectOk, expectProblem, send, uid } from '../api/api-helpers';

const stack = useStack({ env: { PRICING_PROMOTIONS: 'on' } });
const { request, shipBack, inspect, waitForRequestStatus } = afterSalesHelpers(stack);

const membershipOf = async (customerId: string) =>
  expectOk(await send(stack.app, 'GET', `/v1/customers/${customerId}/membership`, KEYS.platform));

/**
 * TEA-like SKU A at 12900 and CUP-like SKU B at 4550 of m-demo; its 满300减50 on those two SKUs; a ¥20
 * coupon (minimum ¥100) issued to a new customer who holds 2000 points.
 */
async function pricedCart() {
  const a = await createSku(stack.db, { price: 12900, stock: { 'wh-shanghai': 10 } });
  const b = await createSku(stack.db, { price: 4550, stock: { 'wh-shanghai': 10 } });
  const promo = expectOk(
    await send(stack.app, 'POST', '/v1/promotions', KEYS.merchant, {
      code: uid('MJ').toUpperCase(),
      name: '满300减50',
      ...window,
      rule: { kind: 'spend_save', scope: { skus: [a, b] }, tiers: [{ threshold: 30000, off: 5000 }] },
    }),
    201,
  );
  const customer = { id: uid('cust-pr'), name: '王五', phone: '+86 139 0000 0000' };
  await stack.db.customer.create({ data: customer });
  await stack.db.pointsEntry.create({
    data: { id: `${customer.id}:seed`, customerId: customer.id, delta: 2000, reason: 'earned' },
  });
  const { code: couponCode } = await issueCoupon(stack.app, customer.id);
  const cart = {
    lines: [
      { sku: a, quantity: 2 },
      { sku: b, quantity: 3 },
    ],
    couponCode,
    pointsToRedeem: 1000,
  };
  const quote = expectOk(
    await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
      channel: 'web',
      customerId: customer.id,
      province: '上海',
      ...cart,
    }),
  );
  const placed = await submitOrder(
    stack.app,
    orderBody({ customer, ...cart, policy: WINDOWS, expectedTotal: quote.totals.total }),
  );
  expectOk(placed.res, 201);
  return { a, b, promo, customer, couponCode, quote, order: placed.body };
}

// By hand (docs/pricing.md, "Allocation and paid prices"; each discount split by largest remainder over
// what is still payable on each line):
//
// | step            | A (2 × 12900) | B (3 × 4550) | note                                                |
// |-----------------|---------------|--------------|-----------------------------------------------------|
// | list            | 25800         | 13650        | subtotal 39450 ≥ 30000                              |
// | 满300减50        | 3270          | 1730         | 5000 × 25800/39450 = 3269.96, × 13650/39450 = 1730.04 |
// | still payable   | 22530         | 11920        | 34450 ≥ coupon minimum 10000                        |
// | coupon ¥20      | 1308          | 692          | 2000 × 22530/34450 = 1307.98, 692.01                |
// | still payable   | 21222         | 11228        | 32450; 1000 points = ¥10 ≤ 50 %                     |
// | points          | 654           | 346          | 1000 × 21222/32450 = 653.99, 346.01                 |
// | paid            | 20568         | 10882        | Σ 31450 = total (no shipping fee)                   |
// | units pay       | 10284, 10284  | 3627, 3627, 3628                                    |
//
// Returning 2 cups refunds 3627 + 3627 = 7254 (not 2 × 4550 = 9100 at list price); the last one 3628.
const HAND = { a: { discount: 5232, paid: 20568 }, b: { discount: 2768, paid: 10882 }, total: 31450, refund: 7254 };

describe('an order with 满减 + coupon + points', () => {
  test('a partial return refunds the returned units’ paid price, takes back earned points in proportion and keeps the coupon used', async () => {
    const { b, promo, customer, couponCode, quote, order } = await pricedCart();
    expect(quote.totals).toEqual({
      currency: 'CNY',
      subtotal: 39450,
      discount: 5000 + 2000,
      shippingFee: 0,
      pointsRedeemed: 1000,
      total: HAND.total,
    });
    expect(order.totals).toEqual(quote.totals);
    expect(order.lines.map((l: any) => ({ discount: l.discount, paid: l.paid }))).toEqual([HAND.a, HAND.b]);
    // Each line's discount is what the adjustments naming it took (promotion, coupon and points).
    for (const l of order.lines)
      expect(
        order.adjustments
          .filter((x: any) => x.lineNo === l.lineNo && x.source !== 'shipping')
          .reduce((t: number, x: any) => t + x.amount, 0),
      ).toBe(l.discount);
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code: couponCode } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: order.id,
    });
    expect((await membershipOf(customer.id)).points.balance).toBe(1000);

    // Delivered and confirmed: completion credits one point per whole ¥ paid, ⌊31450 / 100⌋ = 314.
    await deliverAll(stack.app, order.id);
    expectOk(await send(stack.app, 'POST', `/v1/orders/${order.id}/confirm-receipt`, KEYS.platform));
    await waitForOrder(stack.app, order.id, (o) => o.status === 'completed' && o.points?.credited === 314);
    await eventually(
      () => membershipOf(customer.id),
      (m) => m.points.balance === 1000 + 314 && m.growth.value === HAND.total,
      'points credited and growth recorded at completion',
    );

    // Two of the three cups come back through after-sales (no reason: approved by policy).
    const r = expectOk(
      await request(order.id, { type: 'return', lines: [{ sku: b, quantity: 2 }], reason: 'no_reason' }),
      201,
    );
    await shipBack(r.id);
    // The merchant cannot refund the two cups at their list price (9100): at most what they paid.
    expectProblem(
      await inspect(r.id, { lines: [{ sku: b, condition: 'ok' }], refundAmount: 2 * 4550 }),
      422,
      '/problems/unprocessable',
      ['refundAmount'],
    );
    expectOk(await inspect(r.id, { lines: [{ sku: b, condition: 'ok' }] }));
    const done = await waitForRequestStatus(r.id, 'completed');

    // The refund is the first two units of line B at their paid price, from the order's own allocation.
    const lineB = order.lines.find((l: any) => l.sku === b);
    const expected = unitsPaid(lineB.paid, lineB.quantity, 0, 2);
    expect(expected).toBe(HAND.refund);
    expect(expected).toBeLessThanOrEqual(lineB.paid);
    expect(done.resolution).toMatchObject({ outcome: 'refunded', refunded: HAND.refund });
    const after = await waitForOrder(
      stack.app,
      order.id,
      (o) => o.payments[0]?.refunded === HAND.refund && o.points?.reversed > 0,
    );
    expect(after.lines.find((l: any) => l.sku === b).ledger).toMatchObject({ returned: 2, refunded: 2 });
    expect(after.lines.find((l: any) => l.sku !== b).ledger).toMatchObject({ returned: 0, refunded: 0 });

    // Points earned are taken back in proportion: the customer now paid 31450 − 7254 = 24196 → 241
    // points, so 314 − 241 = 73 are reversed (≈ 314 × 7254 / 31450 = 72.4, rounded in the platform's favour
    // by crediting whole ¥ only).
    expect(after.points).toEqual({ credited: 314, reversed: 73 });
    // The points redeemed at checkout come back in proportion to the refund (decision 078):
    // ⌊1000 × 7254 / 31450⌋ = 230; the redemption itself is not undone (no `restored` entry), and the
    // coupon stays used (a partial return, decision 079).
    expect(await stack.db.pointsEntry.count({ where: { orderId: order.id, reason: 'restored' } })).toBe(0);
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code: couponCode } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: order.id,
    });
    // The promotion's use stays counted.
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: promo.id } })).toMatchObject({
      uses: 1,
      amount: 5000,
    });
    const m = await eventually(
      () => membershipOf(customer.id),
      (x) => x.growth.value === HAND.total - HAND.refund,
      'growth lowered by the refund',
    );
    // 2000 seeded − 1000 redeemed + 314 earned − 73 reversed + 230 returned; every entry keeps it at or above 0.
    expect(m.points.balance).toBe(2000 - 1000 + 314 - 73 + 230);
    const entries = await stack.db.pointsEntry.findMany({
      where: { customerId: customer.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(entries.map((e) => e.delta).sort((x, y) => x - y)).toEqual([-1000, -73, 230, 314, 2000]);
    let running = 0;
    for (const e of entries) {
      running += e.delta;
      expect(running).toBeGreaterThanOrEqual(0);
    }

    // The providers' books and the engine's refund rows agree: one refund of 7254, captured 31450.
    const refunds = await eventually(
      () => stack.db.refund.findMany({ where: { orderId: order.id } }),
      (rows) => rows.length > 0 && rows.every((x) => x.status === 'succeeded'),
      'refund rows confirmed',
    );
    expect(refunds.reduce((t, x) => t + x.amount, 0)).toBe(HAND.refund);
    const books = await providerBooks(stack.db, order.id);
    expect(books.captured).toBe(HAND.total);
    expect(books.refunded).toBe(HAND.refund);
    expect(after.payments[0]).toMatchObject({ captured: HAND.total, refunded: HAND.refund });

    // The last cup comes back too: 3628, the unit carrying the extra fen, so line B is given back
    // exactly what it paid (10882), never more. Points: paid 31450 − 10882 = 20568 → 205, 109 reversed.
    const last = expectOk(
      await request(order.id, { type: 'return', lines: [{ sku: b, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    await shipBack(last.id);
    expectOk(await inspect(last.id, { lines: [{ sku: b, condition: 'ok' }] }));
    const lastDone = await waitForRequestStatus(last.id, 'completed');
    expect(lastDone.resolution).toMatchObject({ outcome: 'refunded', refunded: unitsPaid(lineB.paid, 3, 2, 1) });
    expect(unitsPaid(lineB.paid, 3, 2, 1)).toBe(3628);
    const whole = await waitForOrder(
      stack.app,
      order.id,
      (o) => o.payments[0]?.refunded === lineB.paid && o.points?.reversed === 109,
    );
    expect(whole.lines.find((l: any) => l.sku === b).ledger).toMatchObject({ returned: 3, refunded: 3 });
    // Nothing of line B is left to return.
    expectProblem(
      await request(order.id, { type: 'return', lines: [{ sku: b, quantity: 1 }], reason: 'no_reason' }),
      422,
      '/problems/unprocessable',
      ['lines.0.quantity'],
    );
    const finalBooks = await eventually(
      () => providerBooks(stack.db, order.id),
      (x) => x.refunded === lineB.paid,
      'the second refund in the providers’ books',
    );
    const finalRows = await eventually(
      () => stack.db.refund.findMany({ where: { orderId: order.id } }),
      (rows) => rows.every((x) => x.status === 'succeeded') && rows.reduce((t, x) => t + x.amount, 0) === lineB.paid,
      'the second refund row confirmed',
    );
    expect(finalRows).toHaveLength(2);
    expect(finalBooks.captured).toBe(HAND.total);
    const final = await eventually(
      () => membershipOf(customer.id),
      (x) => x.growth.value === HAND.total - lineB.paid,
      'growth lowered by both refunds',
    );
    // Redeemed points returned: ⌊1000 × 10882 / 31450⌋ = 346 in all (the line's own share of the points).
    expect(final.points.balance).toBe(2000 - 1000 + 314 - 109 + 346);
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code: couponCode } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: order.id,
    });
  }, 180_000);

  test('a cancellation before shipment gives the coupon, the points redeemed and the promotion’s counts back, once', async () => {
    const { promo, customer, couponCode, order } = await pricedCart();
    expect(order.totals.total).toBe(HAND.total);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: promo.id } })).toMatchObject({
      uses: 1,
      amount: 5000,
    });
    expect((await membershipOf(customer.id)).points.balance).toBe(1000);

    // The parcel is booked (a tracking number) but not handed to the courier: nothing has shipped.
    await waitForOrder(
      stack.app,
      order.id,
      (o) => o.status === 'fulfilling' && o.shipments.length > 0 && o.shipments.every((s: any) => s.trackingNumber),
    );
    expectOk(
      await send(stack.app, 'POST', `/v1/orders/${order.id}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
    );
    const cancelled = await waitForStatus(stack.app, order.id, 'cancelled', 60_000);
    expect(cancelled.lines.every((l: any) => l.ledger.shipped === 0)).toBe(true);
    await eventually(
      () => stack.db.coupon.findUniqueOrThrow({ where: { code: couponCode } }),
      (c) => c.status === 'issued' && c.redeemedOrderId === null,
      'the coupon given back',
      30_000,
    );
    expect((await membershipOf(customer.id)).points.balance).toBe(2000);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: promo.id } })).toMatchObject({
      uses: 0,
      amount: 0,
    });
    expect(await stack.db.pointsEntry.count({ where: { orderId: order.id, reason: 'restored' } })).toBe(1);
    // Whatever was captured or held is given back in full by the providers.
    const books = await eventually(
      () => providerBooks(stack.db, order.id),
      (x) => x.held === 0 && x.captured === x.refunded,
      'the payment given back',
      30_000,
    );
    expect(books.captured - books.refunded).toBe(0);

    // The coupon and the points serve the next order at the same price.
    const again = await submitOrder(
      stack.app,
      orderBody({
        customer,
        lines: order.lines.map((l: any) => ({ sku: l.sku, quantity: l.quantity })),
        couponCode,
        pointsToRedeem: 1000,
        policy: WINDOWS,
        expectedTotal: HAND.total,
      }),
    );
    expectOk(again.res, 201);
    // A retried projection of the cancelled order (the give-back runs in every projection transaction)
    // gives nothing back a second time: not the coupon the new order holds, nor points, nor counts.
    const row = await stack.db.order.findUniqueOrThrow({ where: { id: order.id } });
    await stack.db.$transaction((tx) => giveBackCheckout(tx, row.snapshot as unknown as OrderState));
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code: couponCode } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: again.body.id,
    });
    expect((await membershipOf(customer.id)).points.balance).toBe(1000);
    expect(await stack.db.pointsEntry.count({ where: { orderId: order.id, reason: 'restored' } })).toBe(1);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: promo.id } })).toMatchObject({
      uses: 1,
      amount: 5000,
    });
  }, 180_000);
});
