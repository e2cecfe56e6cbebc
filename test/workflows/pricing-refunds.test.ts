// docs/pricing.md on the real stack (PRICING_PROMOTIONS=on): a discounted order's give-backs are the
// paid price of the units concerned, never the list price. A partial no-reason return of one of three
// units refunds that unit's paid price (decision 055: units pay ⌊paid/q⌋, the last ones one fen more).
import { afterSalesHelpers, WINDOWS } from '../helpers/after-sales';
import { createSku } from '../helpers/catalog';
import { deliverAll, orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { expectOk } from '../api/api-helpers';

const stack = useStack({ env: { PRICING_PROMOTIONS: 'on' } });
const { request, shipBack, inspect, waitForRequestStatus } = afterSalesHelpers(stack);

test('a partial return of a discounted line refunds the returned unit’s paid price', async () => {
  const sku = await createSku(stack.db, { price: 1000, stock: { 'wh-shanghai': 5 } });
  await stack.db.promotion.create({
    data: {
      id: `promo_${sku}`,
      code: `OFF100-${sku}`,
      merchantId: 'm-demo',
      name: '¥1 off',
      rule: { kind: 'amount_off', scope: { skus: [sku] }, amount: 100, per: 'order' },
      startsAt: new Date('2026-01-01T00:00:00Z'),
      endsAt: new Date('2035-01-01T00:00:00Z'),
    },
  });
  const { res, body } = await submitOrder(
    stack.app,
    orderBody({ lines: [{ sku, quantity: 3 }], policy: WINDOWS, expectedTotal: 2900 }),
  );
  expectOk(res, 201);
  expect(body.lines[0]).toMatchObject({ unitPrice: 1000, quantity: 3, discount: 100, paid: 2900 });
  await deliverAll(stack.app, body.id);

  const r = expectOk(
    await request(body.id, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
    201,
  );
  await shipBack(r.id);
  expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
  const done = await waitForRequestStatus(r.id, 'completed');
  // 2900 over 3 units: 966, 967, 967; the first unit given back is 966, not the list 1000.
  expect(done.resolution).toMatchObject({ outcome: 'refunded', refunded: 966 });
  const order = await waitForOrder(stack.app, body.id, (o) => o.payments[0]?.refunded === 966);
  expect(order.lines[0].ledger).toMatchObject({ returned: 1, refunded: 1 });
});
