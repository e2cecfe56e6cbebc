// docs/pricing.md through HTTP on the real stack: POST /v1/quotes (platform), promotions CRUD (merchant
// on its own SKUs, support platform-wide) with 422s naming the field, and submission priced by the same
// engine (expectedTotal → 409 price-changed). PRICING_PROMOTIONS=on for this stack only; the manual
// merchant's fresh SKUs keep other tests' prices untouched.
import { KEYS, orderBody, submitOrder, useStack } from '../helpers/stack';
import { createProduct, expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack({ env: { PRICING_PROMOTIONS: 'on' } });

const window = { startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z' };
const code = () => uid('T').toUpperCase();

async function twoSkus() {
  const a = await createProduct(stack.app, {
    key: KEYS.manualMerchant,
    priceAmount: 12900,
    stock: { 'wh-shanghai': 50 },
  });
  const b = await createProduct(stack.app, {
    key: KEYS.manualMerchant,
    priceAmount: 4550,
    stock: { 'wh-shanghai': 50 },
  });
  return { a, b };
}
const quote = (lines: Array<{ sku: string; quantity: number }>, key: string = KEYS.platform) =>
  send(stack.app, 'POST', '/v1/quotes', key, { channel: 'web', customerId: 'cust-quote', province: '上海', lines });

describe('POST /v1/quotes and submission', () => {
  test('a 满减 and a SKU discount stack; the quote explains each line; an order with its expectedTotal charges exactly that', async () => {
    const { a, b } = await twoSkus();
    const save = expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
        code: code(),
        name: '满300减50',
        ...window,
        rule: {
          kind: 'spend_save',
          scope: { skus: [a, b] },
          tiers: [
            { threshold: 10000, off: 1000 },
            { threshold: 30000, off: 5000 },
          ],
        },
      }),
      201,
    );
    const pct = expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
        code: code(),
        name: '10% cups',
        ...window,
        priority: 5,
        rule: { kind: 'percent_off', scope: { skus: [b] }, percent: 10 },
      }),
      201,
    );
    expect(save).toMatchObject({ merchantId: 'm-manual', exclusive: false, active: true });

    const q = expectOk(
      await quote([
        { sku: a, quantity: 2 },
        { sku: b, quantity: 3 },
      ]),
    );
    // 25800 + 13650 = 39450; 10% of the cups = 1365; 38085 ≥ 30000 → 5000 by value: 25800/38085 → 3387, 12285/38085 → 1613.
    expect(q.totals).toEqual({ currency: 'CNY', subtotal: 39450, discount: 6365, shippingFee: 0, total: 33085 });
    expect(q.lines.map((l: { discount: number; paid: number }) => [l.discount, l.paid])).toEqual([
      [3387, 22413],
      [2978, 10672],
    ]);
    expect(q.applied).toEqual([pct.code, save.code]);
    expect(q.adjustments).toHaveLength(3);
    expect(q.expectedTotal).toBe(33085);

    const ordered = await submitOrder(
      stack.app,
      orderBody({
        lines: [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 3 },
        ],
        expectedTotal: q.expectedTotal,
      }),
    );
    expectOk(ordered.res, 201);
    expect(ordered.body.totals).toEqual(q.totals);
    expect(ordered.body.lines.map((l: { discount: number; paid: number }) => [l.discount, l.paid])).toEqual([
      [3387, 22413],
      [2978, 10672],
    ]);
    expect(ordered.body.adjustments).toHaveLength(3);
    const row = await stack.db.order.findUniqueOrThrow({
      where: { id: ordered.body.id },
      include: { lines: { orderBy: { lineNo: 'asc' } } },
    });
    expect(row).toMatchObject({ subtotal: 39450, discount: 6365, total: 33085 });
    expect(row.lines.map((l) => l.discount)).toEqual([3387, 2978]);
    expect(await stack.db.promotionRedemption.count({ where: { orderId: ordered.body.id } })).toBe(2);

    // The price moved since the quote: 409 price-changed, and no order.
    const stale = await submitOrder(
      stack.app,
      orderBody({
        lines: [
          { sku: a, quantity: 2 },
          { sku: b, quantity: 3 },
        ],
        expectedTotal: 39450,
      }),
    );
    expectProblem(stale.res, 409, '/problems/price-changed');
    expect(await stack.db.idempotencyRecord.count({ where: { key: stale.key } })).toBe(0);

    // Ended: the next quote is at list price.
    for (const p of [save, pct])
      expectOk(await send(stack.app, 'POST', `/v1/promotions/${p.id}/end`, KEYS.manualMerchant));
    expect(
      expectOk(
        await quote([
          { sku: a, quantity: 2 },
          { sku: b, quantity: 3 },
        ]),
      ).totals.discount,
    ).toBe(0);
  });

  test('a gift line at 0 and an exclusive flash sale that beats the stack', async () => {
    const { a, b } = await twoSkus();
    expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
        code: code(),
        name: 'gift',
        ...window,
        rule: { kind: 'gift', scope: { skus: [a] }, threshold: 10000, giftSku: b, quantity: 1 },
      }),
      201,
    );
    const q = expectOk(await quote([{ sku: a, quantity: 1 }]));
    expect(q.lines[1]).toMatchObject({ lineNo: 2, sku: b, unitPrice: 0, quantity: 1, paid: 0, gift: true });
    expect(q.totals.total).toBe(12900);
    expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
        code: code(),
        name: 'flash',
        ...window,
        exclusive: true,
        rule: { kind: 'flash_sale', sku: a, price: 5000, stockCap: 10, perCustomerLimit: 1 },
      }),
      201,
    );
    const flash = expectOk(await quote([{ sku: a, quantity: 2 }]));
    expect(flash.totals).toMatchObject({ discount: 7900, total: 25800 - 7900 });
    expect(flash.lines).toHaveLength(1);
  });

  test('only the platform quotes; a bad cart is 422 naming the line', async () => {
    expectProblem(await quote([{ sku: 'SKU-TEA-001', quantity: 1 }], KEYS.merchant), 403, '/problems/forbidden');
    expectProblem(await quote([{ sku: 'NOPE', quantity: 1 }]), 422, '/problems/unprocessable', ['lines.0.sku']);
  });
});

describe('promotions CRUD', () => {
  test('bad rules are 422 naming the field', async () => {
    const { a } = await twoSkus();
    const post = (body: Record<string, unknown>, key: string = KEYS.manualMerchant) =>
      send(stack.app, 'POST', '/v1/promotions', key, { code: code(), name: 'x', ...window, ...body });
    expectProblem(await post({ rule: { kind: 'percent_off', percent: 120 } }), 422, '/problems/unprocessable', [
      'rule.percent',
    ]);
    expectProblem(
      await post({ endsAt: '2025-01-01T00:00:00Z', rule: { kind: 'percent_off', percent: 10 } }),
      422,
      '/problems/unprocessable',
      ['endsAt'],
    );
    expectProblem(await post({ rule: { kind: 'percent_off', percent: '10' } }), 400, '/problems/validation-error', [
      'rule.percent',
    ]);
    expectProblem(
      await post({ rule: { kind: 'gift', threshold: 100, giftSku: 'SKU-TEA-001', quantity: 1 } }),
      422,
      '/problems/unprocessable',
      ['rule.giftSku'],
    );
    expectProblem(
      await post({ rule: { kind: 'percent_off', scope: { skus: [a, 'SKU-TEA-002'] }, percent: 10 } }),
      422,
      '/problems/unprocessable',
      ['rule.scope.skus.1'],
    );
    expectProblem(
      await post({ rule: { kind: 'flash_sale', sku: a, price: 1, stockCap: 1, perCustomerLimit: 1 } }, KEYS.support),
      422,
      '/problems/unprocessable',
      ['rule.kind'],
    );
  });

  test('a merchant sees and changes only its own; support runs platform-wide ones', async () => {
    const { a } = await twoSkus();
    const mine = expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.manualMerchant, {
        code: code(),
        name: 'mine',
        ...window,
        rule: { kind: 'amount_off', scope: { skus: [a] }, amount: 100 },
      }),
      201,
    );
    expectProblem(await send(stack.app, 'GET', `/v1/promotions/${mine.id}`, KEYS.merchant), 404, '/problems/not-found');
    expect(expectOk(await send(stack.app, 'GET', `/v1/promotions/${mine.id}`, KEYS.manualMerchant)).code).toBe(
      mine.code,
    );
    const updated = expectOk(
      await send(stack.app, 'PUT', `/v1/promotions/${mine.id}`, KEYS.manualMerchant, {
        code: mine.code,
        name: 'renamed',
        ...window,
        rule: { kind: 'amount_off', scope: { skus: [a] }, amount: 200 },
      }),
    );
    expect(updated).toMatchObject({ name: 'renamed', rule: { amount: 200 } });
    const listed = expectOk(await send(stack.app, 'GET', '/v1/promotions', KEYS.manualMerchant));
    expect(listed.items.every((p: { merchantId: string }) => p.merchantId === 'm-manual')).toBe(true);
    const platform = expectOk(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.support, {
        code: code(),
        name: 'platform',
        ...window,
        active: false,
        rule: { kind: 'free_shipping', threshold: 0 },
      }),
      201,
    );
    expect(platform.merchantId).toBeNull();
    expectProblem(
      await send(stack.app, 'POST', '/v1/promotions', KEYS.support, {
        code: mine.code,
        name: 'dup',
        ...window,
        rule: { kind: 'free_shipping', threshold: 0 },
      }),
      409,
      '/problems/promotion-code-taken',
    );
    // Replacing one with another's code is the same conflict (it was a unique violation, 500), and
    // changes nothing; its own code stays its own.
    const renamed = { code: mine.code, name: 'renamed', ...window, active: false, rule: platform.rule };
    expectProblem(
      await send(stack.app, 'PUT', `/v1/promotions/${platform.id}`, KEYS.support, renamed),
      409,
      '/problems/promotion-code-taken',
    );
    expect(expectOk(await send(stack.app, 'GET', `/v1/promotions/${platform.id}`, KEYS.support))).toMatchObject({
      code: platform.code,
      name: 'platform',
    });
    const kept = { ...renamed, code: platform.code };
    expect(expectOk(await send(stack.app, 'PUT', `/v1/promotions/${platform.id}`, KEYS.support, kept)).name).toBe(
      'renamed',
    );
  });
});
