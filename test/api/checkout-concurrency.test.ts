// docs/pricing.md and decisions 069/070 on the real stack (Temporal + PostgreSQL, submissions through
// app.inject, no mocks): what an order is priced with — a single-use coupon, a flash sale's
// per-customer limit, a campaign's money budget, points — is taken atomically at acceptance, however
// many orders race for it; an order cancelled before shipping gives it all back, once.
import { giveBackCheckout } from '../../store/checkout';
import { inTransaction } from '../../store/db';
import { addPointsEntry, lockedBalance } from '../../store/points';
import type { OrderState } from '../../domain';
import { KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';
import { createProduct, eventually, expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack({ env: { PRICING_PROMOTIONS: 'on' } });
const window = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z' };

const product = (price = 10000, stock = 500) =>
  createProduct(stack.app, { key: KEYS.manualMerchant, priceAmount: price, stock: { 'wh-shanghai': stock } });
const customer = async (id = uid('cust-ck')) => {
  await stack.db.customer.create({ data: { id, name: '李四', phone: '+86 138 0000 0000' } });
  return { id, name: '李四', phone: '+86 138 0000 0000' };
};
const promotion = async (body: Record<string, unknown>) =>
  expectOk(
    await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
      code: uid('CK').toUpperCase(),
      name: 'test',
      ...window,
      ...body,
    }),
    201,
  );
const couponFor = async (customerId: string, template: Record<string, unknown>) => {
  const t = expectOk(
    await send(stack.app, 'POST', '/v1/coupon-templates', KEYS.manualMerchant, {
      name: '¥10 off',
      kind: 'amount',
      amount: 1000,
      ...window,
      ...template,
    }),
    201,
  );
  const issued = expectOk(
    await send(stack.app, 'POST', `/v1/coupon-templates/${t.id}/issue`, KEYS.manualMerchant, {
      customerIds: [customerId],
    }),
  );
  return issued.coupons[0].code as string;
};
/** Status → count; 200 (a 503's retry that found its order recorded) counts as accepted, 201. */
const statuses = (results: Array<{ res: { statusCode: number } }>) =>
  results.reduce<Record<number, number>>((t, r) => {
    const s = r.res.statusCode === 200 ? 201 : r.res.statusCode;
    return { ...t, [s]: (t[s] ?? 0) + 1 };
  }, {});
const isAccepted = (r: { res: { statusCode: number } }) => r.res.statusCode === 201 || r.res.statusCode === 200;

/**
 * Submits every body at once (one key each). Under load the API may answer 503 (no connection within
 * its deadline): the client retries with the same key, as docs/api.md asks, until each has its answer.
 */
async function race(bodies: Array<Record<string, unknown>>) {
  const first = await Promise.all(bodies.map((b) => submitOrder(stack.app, b)));
  const results = [];
  for (const [i, r] of first.entries())
    results.push(r.res.statusCode === 503 ? await submitOrder(stack.app, bodies[i], r.key) : r);
  return results;
}

describe('caps, budgets, coupons and points under concurrent orders', () => {
  test('100 simultaneous orders using one single-use coupon → exactly 1 accepted', async () => {
    const sku = await product();
    const c = await customer();
    const code = await couponFor(c.id, {});
    const body = orderBody({ customer: c, lines: [{ sku, quantity: 1 }], couponCode: code });
    const results = await race(Array.from({ length: 100 }, () => body));
    const counts = statuses(results);
    expect(counts[201]).toBe(1);
    // The rest: the coupon was already used when they were priced (422) or lost the race at acceptance (409).
    expect({ ...counts, 201: 0, 409: 0, 422: 0 }).toEqual({ 201: 0, 409: 0, 422: 0 });
    for (const r of results.filter((x) => x.res.statusCode === 409))
      expectProblem(r.res, 409, '/problems/coupon-unavailable');
    for (const r of results.filter((x) => x.res.statusCode === 422))
      expect(r.body.errors[0]).toMatchObject({ field: 'couponCode' });
    const winner = results.find(isAccepted)!;
    expect(winner.body.totals).toMatchObject({ subtotal: 10000, discount: 1000, total: 9000 });
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: winner.body.id,
    });
    expect(await stack.db.order.count({ where: { customerId: c.id } })).toBe(1);
  }, 120_000);

  test('one customer firing 20 orders at a per-customer flash-sale limit of 1 → exactly 1 at the flash price', async () => {
    const sku = await product(10000);
    const flash = await promotion({
      exclusive: true,
      rule: { kind: 'flash_sale', sku, price: 5000, stockCap: 100, perCustomerLimit: 1 },
    });
    const c = await customer();
    const results = await race(
      Array.from({ length: 20 }, () => orderBody({ customer: c, lines: [{ sku, quantity: 1 }], expectedTotal: 5000 })),
    );
    const counts = statuses(results);
    expect(counts[201]).toBe(1);
    expect(counts[409]).toBe(19); // price-changed (priced after the winner) or promotion-exhausted (lost the race)
    for (const r of results.filter((x) => x.res.statusCode === 409))
      expect(['/problems/price-changed', '/problems/promotion-exhausted']).toContain(r.body.type);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      uses: 1,
      units: 1,
    });
    expect(
      await stack.db.promotionCustomerUnits.findUniqueOrThrow({
        where: { promotionId_customerId: { promotionId: flash.id, customerId: c.id } },
      }),
    ).toMatchObject({ units: 1 });
  }, 120_000);

  test('a flash sale’s stock cap under 15 customers at once is never passed', async () => {
    const sku = await product(10000);
    const flash = await promotion({
      exclusive: true,
      rule: { kind: 'flash_sale', sku, price: 5000, stockCap: 3, perCustomerLimit: 1 },
    });
    const buyers = await Promise.all(Array.from({ length: 15 }, () => customer()));
    const results = await race(
      buyers.map((c) => orderBody({ customer: c, lines: [{ sku, quantity: 1 }], expectedTotal: 5000 })),
    );
    expect(statuses(results)[201]).toBe(3);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      units: 3,
    });
  }, 120_000);

  test('a campaign money budget under concurrent orders is never exceeded', async () => {
    const sku = await product(10000);
    const campaign = await promotion({
      budgetAmount: 5500,
      rule: { kind: 'amount_off', scope: { skus: [sku] }, amount: 1000, per: 'order' },
    });
    const buyers = await Promise.all(Array.from({ length: 12 }, () => customer()));
    const results = await race(buyers.map((c) => orderBody({ customer: c, lines: [{ sku, quantity: 1 }] })));
    const accepted = results.filter(isAccepted);
    for (const r of results.filter((x) => !isAccepted(x))) expectProblem(r.res, 409, '/problems/promotion-exhausted');
    const given = accepted.reduce((t, r) => t + r.body.totals.discount, 0);
    expect(given).toBeLessThanOrEqual(5500);
    // Orders priced at 1000 off while the budget had less left lost at acceptance: at most one order's worth unused.
    expect(given).toBeGreaterThan(5500 - 1000);
    const counter = await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: campaign.id } });
    expect(counter.amount).toBe(given);
    const recorded = await stack.db.promotionRedemption.aggregate({
      where: { promotionId: campaign.id },
      _sum: { amount: true },
    });
    expect(recorded._sum.amount).toBe(given);
  }, 120_000);

  test('concurrent point redemptions by one customer never take the balance below zero', async () => {
    const sku = await product(10000);
    const c = await customer();
    await stack.db.pointsEntry.create({
      data: { id: `${c.id}:seed`, customerId: c.id, delta: 1000, reason: 'earned' },
    });
    const results = await race(
      Array.from({ length: 10 }, () => orderBody({ customer: c, lines: [{ sku, quantity: 1 }], pointsToRedeem: 300 })),
    );
    const counts = statuses(results);
    expect(counts[201]).toBe(3);
    for (const r of results.filter((x) => !isAccepted(x))) {
      if (r.res.statusCode === 409) expectProblem(r.res, 409, '/problems/points-insufficient');
      else expectProblem(r.res, 422, '/problems/unprocessable', ['pointsToRedeem']);
    }
    const membership = expectOk(await send(stack.app, 'GET', `/v1/customers/${c.id}/membership`, KEYS.platform));
    expect(membership.points.balance).toBe(100);
    expect(membership.points.ledger.filter((e: { reason: string }) => e.reason === 'redeemed')).toHaveLength(3);
  }, 120_000);
});

test('a spender that waited for the customer’s lock counts the entry of the one it waited for', async () => {
  const c = await customer();
  await stack.db.pointsEntry.create({ data: { id: `${c.id}:seed`, customerId: c.id, delta: 1000, reason: 'earned' } });
  let spent!: () => void;
  let finish!: () => void;
  const holding = new Promise<void>((resolve) => (spent = resolve));
  const done = new Promise<void>((resolve) => (finish = resolve));
  const first = inTransaction(stack.db, async (tx) => {
    await lockedBalance(tx, c.id, new Date());
    await addPointsEntry(tx, {
      id: `${c.id}:first`,
      customerId: c.id,
      orderId: 'o-first',
      delta: -300,
      reason: 'redeemed',
      at: new Date(),
    });
    spent();
    await done; // holds the lock until the second is waiting for it
  });
  await holding;
  const second = inTransaction(stack.db, (tx) => lockedBalance(tx, c.id, new Date()));
  const waiting = () =>
    stack.db.$queryRaw<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE wait_event_type = 'Lock' AND query LIKE '%FROM customers WHERE id = $1 FOR UPDATE%'`;
  await eventually(waiting, ([w]) => w.n === 1, 'the second waiting for the customer’s lock');
  finish();
  await first;
  expect(await second).toBe(700);
});

describe('a cancellation before shipment gives back what the order took, once', () => {
  test('coupon, points and the promotion’s counts come back; a repeated give-back changes nothing', async () => {
    const sku = await product(10000);
    const c = await customer();
    await stack.db.pointsEntry.create({
      data: { id: `${c.id}:seed`, customerId: c.id, delta: 2000, reason: 'earned' },
    });
    const code = await couponFor(c.id, {
      kind: 'percent',
      amount: undefined,
      percent: 10,
      maxOff: 800,
      minSpend: 5000,
    });
    const flash = await promotion({
      rule: { kind: 'flash_sale', sku, price: 8000, stockCap: 10, perCustomerLimit: 2 },
    });

    const q = expectOk(
      await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
        channel: 'web',
        customerId: c.id,
        province: '上海',
        lines: [{ sku, quantity: 2 }],
        couponCode: code,
        pointsToRedeem: 1500,
      }),
    );
    // 2 × 10000 − 2 × 2000 flash = 16000; coupon 10 % = 1600 capped at 800 → 15200; 1500 points = ¥15 → 13700.
    expect(q.totals).toEqual({
      currency: 'CNY',
      subtotal: 20000,
      discount: 4800,
      shippingFee: 0,
      pointsRedeemed: 1500,
      total: 13700,
    });
    const placed = await submitOrder(
      stack.app,
      orderBody({
        customer: c,
        lines: [{ sku, quantity: 2 }],
        couponCode: code,
        pointsToRedeem: 1500,
        expectedTotal: 13700,
      }),
    );
    expectOk(placed.res, 201);
    const orderId = placed.body.id as string;
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code } })).toMatchObject({ status: 'redeemed' });
    let membership = expectOk(await send(stack.app, 'GET', `/v1/customers/${c.id}/membership`, KEYS.platform));
    expect(membership.points.balance).toBe(500);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      uses: 1,
      units: 2,
    });

    expectOk(
      await send(stack.app, 'POST', `/v1/orders/${orderId}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
    );
    await waitForStatus(stack.app, orderId, 'cancelled', 60_000);
    await eventually(
      () => stack.db.coupon.findUniqueOrThrow({ where: { code } }),
      (cp) => cp.status === 'issued' && cp.redeemedOrderId === null,
      'the coupon given back',
      30_000,
    );
    membership = expectOk(await send(stack.app, 'GET', `/v1/customers/${c.id}/membership`, KEYS.platform));
    expect(membership.points.balance).toBe(2000);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      uses: 0,
      amount: 0,
      units: 0,
    });

    // The coupon serves the next order; a late repeat of the first order's give-back takes nothing from it.
    const again = await submitOrder(
      stack.app,
      orderBody({ customer: c, lines: [{ sku, quantity: 1 }], couponCode: code, pointsToRedeem: 500 }),
    );
    expectOk(again.res, 201);
    const row = await stack.db.order.findUniqueOrThrow({ where: { id: orderId } });
    await stack.db.$transaction((tx) => giveBackCheckout(tx, row.snapshot as unknown as OrderState));
    expect(await stack.db.coupon.findUniqueOrThrow({ where: { code } })).toMatchObject({
      status: 'redeemed',
      redeemedOrderId: again.body.id,
    });
    membership = expectOk(await send(stack.app, 'GET', `/v1/customers/${c.id}/membership`, KEYS.platform));
    expect(membership.points.balance).toBe(1500);
    expect(await stack.db.pointsEntry.count({ where: { orderId, reason: 'restored' } })).toBe(1);
    expect(await stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: flash.id } })).toMatchObject({
      uses: 1,
      units: 1,
    });
  }, 180_000);
});

describe('coupon templates and the 422s naming the field', () => {
  test('unknown, not yours, min spend not met → 422 couponCode; a bad template → 422 naming the field', async () => {
    const sku = await product(3000);
    const c = await customer();
    const other = await customer();
    const code = await couponFor(c.id, { minSpend: 5000 });
    const submit = (body: Record<string, unknown>) =>
      submitOrder(stack.app, orderBody({ customer: c, lines: [{ sku, quantity: 1 }], ...body }));
    expectProblem((await submit({ couponCode: 'NOPE' })).res, 422, '/problems/unprocessable', ['couponCode']);
    expectProblem((await submit({ couponCode: code })).res, 422, '/problems/unprocessable', ['couponCode']);
    const theirs = await couponFor(other.id, {});
    expectProblem((await submit({ couponCode: theirs })).res, 422, '/problems/unprocessable', ['couponCode']);
    expectProblem(
      await send(stack.app, 'POST', '/v1/coupon-templates', KEYS.manualMerchant, {
        name: 'bad',
        kind: 'percent',
        percent: 120,
        ...window,
      }),
      422,
      '/problems/unprocessable',
      ['percent'],
    );
    expectProblem(
      await send(stack.app, 'POST', '/v1/coupon-templates', KEYS.manualMerchant, {
        name: 'bad',
        kind: 'amount',
        amount: 100,
        skus: ['SKU-TEA-001'],
        ...window,
      }),
      422,
      '/problems/unprocessable',
      ['skus.0'],
    );
    // Issuing twice to the same customer keeps one coupon.
    const t = expectOk(
      await send(stack.app, 'POST', '/v1/coupon-templates', KEYS.support, {
        name: 'platform',
        kind: 'amount',
        amount: 500,
        ...window,
      }),
      201,
    );
    expect(t.merchantId).toBeNull();
    for (let i = 0; i < 2; i++)
      expectOk(
        await send(stack.app, 'POST', `/v1/coupon-templates/${t.id}/issue`, KEYS.support, { customerIds: [c.id] }),
      );
    expect(await stack.db.coupon.count({ where: { templateId: t.id } })).toBe(1);
    expectProblem(
      await send(stack.app, 'POST', `/v1/coupon-templates/${t.id}/issue`, KEYS.manualMerchant, { customerIds: [c.id] }),
      404,
      '/problems/not-found',
    );
  }, 60_000);
});
