// Decision 058's two conditions for pricing by default, end to end on the real stack (Temporal +
// PostgreSQL, the HTTP API through app.inject, signed courier webhooks; only providers simulated),
// PRICING_PROMOTIONS=on:
//   1. a discounted line exchanged after delivery: replaced, nothing refunded; a replacement that is
//      short refunds the paid price of the units not replaced (cheapest first), never their list price
//      and never more than the line paid, also across several requests on one line;
//   2. a discounted cash-on-delivery order with a shipping fee: the courier collects the paid units
//      plus the fee; a refused parcel collects and refunds nothing; a split order collects only the
//      delivered parcel; an after-sales return refunds the unit's paid price by bank transfer.
// Every promotion is scoped to SKUs this file creates, so no other file's order is priced by them.
import { createHash, randomUUID } from 'node:crypto';
import { DEV_API_KEYS } from '../../config';
import { PROMOTION_WINDOW as window, unitsPaid } from '../helpers/pricing';
import { afterSalesHelpers, WINDOWS } from '../helpers/after-sales';
import { createSku, providerBooks, stockOf } from '../helpers/catalog';
import {
  deliverAll,
  KEYS,
  orderBody,
  postTracking,
  submitOrder,
  useStack,
  waitForOrder,
  waitForStatus,
} from '../helpers/stack';
import { eventually, expectOk, expectProblem, send, uid } from '../api/api-helpers';

/** A merchant of this file's own (an 800 shipping fee) with its key, so its fee and promotions touch no other file. */
const COD_MERCHANT = `m-cod-${randomUUID().slice(0, 8)}`;
const COD_MERCHANT_KEY = `merchant-${randomUUID()}`;
const stack = useStack({
  env: {
    PRICING_PROMOTIONS: 'on',
    API_KEYS: JSON.stringify([
      ...DEV_API_KEYS,
      {
        sha256: createHash('sha256').update(COD_MERCHANT_KEY).digest('hex'),
        role: 'merchant',
        merchantId: COD_MERCHANT,
        name: 'cod merchant',
      },
    ]),
  },
});
const { request, waitForRequestStatus, inspect, shipBack, deliverOutbound } = afterSalesHelpers(stack);
jest.setTimeout(120_000);

/** 满X减10.01 on the given SKUs only: 1001 off once the goods reach `threshold` (an odd amount, so units differ by a fen). */
async function spendSave(skus: string[], threshold: number, key: string = KEYS.merchant) {
  return expectOk(
    await send(stack.app, 'POST', '/v1/promotions', key, {
      code: uid('EX').toUpperCase(),
      name: `满${threshold / 100}减10.01`,
      ...window,
      rule: { kind: 'spend_save', scope: { skus }, tiers: [{ threshold, off: 1001 }] },
    }),
    201,
  );
}

const stockDecision = (id: string, payload: unknown) =>
  send(stack.app, 'POST', `/v1/after-sales/${id}/stock-decision`, KEYS.platform, payload);

describe('a discounted line exchanged after delivery', () => {
  /**
   * `quantity` units at 2000 with 1001 off the line (paid 2000 × quantity − 1001), delivered; then an
   * exchange of `exchanged` units that come back damaged (nothing returns to the shelf), so the
   * replacement is allocated from the `left` units still in stock.
   */
  async function exchanged(quantity: number, exchanged: number, left: number) {
    const sku = await createSku(stack.db, { price: 2000, stock: { 'wh-shanghai': quantity + left } });
    await spendSave([sku], 2000);
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity }], policy: WINDOWS }));
    expectOk(res, 201);
    expect(body.lines[0]).toMatchObject({ unitPrice: 2000, quantity, discount: 1001, paid: 2000 * quantity - 1001 });
    await deliverAll(stack.app, body.id);
    const r = expectOk(
      await request(body.id, { type: 'exchange', lines: [{ sku, quantity: exchanged }], reason: 'defective' }),
      201,
    );
    await shipBack(r.id);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'damaged' }] }));
    return { sku, orderId: body.id as string, paid: body.lines[0].paid as number, id: r.id as string };
  }

  test('replaced from stock: the customer gets the unit again and no money moves', async () => {
    const { sku, orderId, paid, id } = await exchanged(2, 1, 1);
    expect(paid).toBe(2999);
    await waitForRequestStatus(id, 'shipping_back');
    const done = await deliverOutbound(id);
    expect(done.resolution).toMatchObject({ outcome: 'exchanged', refunded: 0 });
    expect(done.replacement).toEqual([
      expect.objectContaining({ quantity: 1, allocated: 1, delivered: 1, refunded: 0 }),
    ]);
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.payments[0]).toMatchObject({ captured: 2999, refunded: 0 });
    expect(order.lines[0].ledger).toMatchObject({ delivered: 2, returned: 0, refunded: 0 });
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 0, reserved: 0, allocated: 0 });
    expect((await providerBooks(stack.db, orderId)).refunded).toBe(0);
  });

  test('short, partial: the units not replaced are refunded at their paid price, cheapest first', async () => {
    // 3 × 2000 − 1001 = 4999: units pay 1666, 1666, 1667. One unit is in stock for the three exchanged.
    const { orderId, paid, id } = await exchanged(3, 3, 1);
    expect(paid).toBe(4999);
    const asked = await waitForRequestStatus(id, 'awaiting_stock_decision');
    expect(asked.shortage).toEqual([expect.objectContaining({ lineNo: 1, quantity: 2 })]);
    const decided = expectOk(await stockDecision(id, { decision: 'partial' }));
    const expected = unitsPaid(paid, 3, 0, 2);
    expect(expected).toBe(3332); // not 2 × 2000 at list price
    expect(decided.stockDecision).toMatchObject({ decision: 'partial', refunded: expected });
    const done = await deliverOutbound(id);
    expect(done.resolution).toMatchObject({
      outcome: 'exchanged',
      refunded: expected,
      refundedInstead: [{ lineNo: 1, quantity: 2 }],
    });
    const order = await waitForOrder(stack.app, orderId, (o) => o.afterSales[0]?.status === 'completed');
    expect(order.payments[0]).toMatchObject({ captured: paid, refunded: expected });
    expect(order.lines[0].ledger).toMatchObject({ delivered: 3, returned: 2, refunded: 2 });
    expect(
      (
        await eventually(
          () => providerBooks(stack.db, orderId),
          (b) => b.refunded === expected,
          'provider refund',
        )
      ).refunded,
    ).toBe(expected);
  });

  test('short, cancelled, then the last unit returned: the line is given back exactly what it paid, never more', async () => {
    const { sku, orderId, paid, id } = await exchanged(3, 2, 0);
    await waitForRequestStatus(id, 'awaiting_stock_decision');
    expectOk(await stockDecision(id, { decision: 'cancel' }));
    const first = unitsPaid(paid, 3, 0, 2); // 1666 + 1666
    const done = await waitForRequestStatus(id, 'completed');
    expect(done.resolution).toMatchObject({
      outcome: 'refunded',
      refunded: first,
      refundedInstead: [{ lineNo: 1, quantity: 2 }],
    });
    // The third unit comes back as a return: it pays the fen the others did not (1667).
    const r = expectOk(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    await shipBack(r.id);
    // At most what that unit paid: its list price is 422.
    expectProblem(
      await inspect(r.id, { lines: [{ sku, condition: 'ok' }], refundAmount: 2000 }),
      422,
      '/problems/unprocessable',
      ['refundAmount'],
    );
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
    const last = await waitForRequestStatus(r.id, 'completed');
    expect(last.resolution).toMatchObject({ outcome: 'refunded', refunded: unitsPaid(paid, 3, 2, 1) });
    expect(first + unitsPaid(paid, 3, 2, 1)).toBe(paid);
    const order = await waitForOrder(stack.app, orderId, (o) => o.payments[0].refunded === paid);
    expect(order.payments[0]).toMatchObject({ captured: paid, refunded: paid });
    expect(order.lines[0].ledger).toMatchObject({ delivered: 3, returned: 3, refunded: 3 });
    expectProblem(
      await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      422,
      '/problems/unprocessable',
      ['lines.0.quantity'],
    );
    const books = await eventually(
      () => providerBooks(stack.db, orderId),
      (b) => b.refunded === paid,
      'both refunds in the providers’ books',
    );
    expect(books.captured).toBe(paid);
  });
});

beforeAll(async () => {
  await stack.db.merchant.create({ data: { id: COD_MERCHANT, name: 'COD merchant', policy: {} } });
  await stack.db.shippingRate.create({ data: { merchantId: COD_MERCHANT, defaultFee: 800 } });
});

describe('a discounted cash-on-delivery order with a shipping fee', () => {
  const FEE = 800;
  /** Support's platform promotion on this file's SKUs only (the merchant is this file's own). */
  const promote = (skus: string[], threshold: number) => spendSave(skus, threshold, KEYS.support);
  const cod = (lines: Array<{ sku: string; quantity: number }>, policy: Record<string, number> = WINDOWS) =>
    orderBody({ lines, paymentMethod: 'cod', card: undefined, policy });

  test('the courier collects the paid units plus the fee; a return refunds a unit’s paid price by bank transfer', async () => {
    const sku = await createSku(stack.db, { merchantId: COD_MERCHANT, price: 3000, stock: { 'wh-shanghai': 3 } });
    await promote([sku], 3000);
    const quote = expectOk(
      await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, {
        channel: 'web',
        customerId: uid('cust-q'),
        province: '上海',
        lines: [{ sku, quantity: 3 }],
      }),
    );
    // 3 × 3000 − 1001 = 7999 for the goods (units 2666, 2666, 2667), plus the 800 fee.
    expect(quote.totals).toMatchObject({ subtotal: 9000, discount: 1001, shippingFee: FEE, total: 7999 + FEE });
    const { body } = await submitOrder(
      stack.app,
      orderBody({ ...cod([{ sku, quantity: 3 }]), expectedTotal: quote.totals.total }),
    );
    expect(body.totals.total).toBe(8799);
    const delivered = await deliverAll(stack.app, body.id, () => ({
      codCollected: { amount: 8799, currency: 'CNY' },
    }));
    // Collected equals what the engine expected for the parcel: no cod_mismatch flag.
    expect(delivered.flags).toEqual([]);
    expect(delivered.payments).toEqual([expect.objectContaining({ method: 'cod', captured: 8799, refunded: 0 })]);

    const r = expectOk(
      await request(body.id, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
      201,
    );
    await shipBack(r.id);
    expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }, COD_MERCHANT_KEY));
    const done = await waitForRequestStatus(r.id, 'completed');
    // The first unit's paid price, not its list price (3000), and no part of the shipping fee.
    expect(done.resolution).toMatchObject({ refunded: 2666, refunds: [{ method: 'cod', amount: 2666 }] });
    const rows = await eventually(
      () => stack.db.refund.findMany({ where: { orderId: body.id } }),
      (x) => x.length === 1 && x[0].status === 'succeeded',
      'the bank transfer recorded',
    );
    expect(rows[0]).toMatchObject({ amount: 2666, providerRef: expect.stringMatching(/^bank-transfer-/) });
  });

  test('a refused parcel collects nothing and refunds nothing; the promotion’s use is given back', async () => {
    const sku = await createSku(stack.db, { merchantId: COD_MERCHANT, price: 3000, stock: { 'wh-shanghai': 2 } });
    const promo = await promote([sku], 3000);
    const { res, body } = await submitOrder(stack.app, cod([{ sku, quantity: 2 }]));
    expectOk(res, 201);
    expect(body.totals).toMatchObject({ discount: 1001, shippingFee: FEE, total: 6000 - 1001 + FEE });
    const order = await waitForOrder(stack.app, body.id, (o) => o.shipments[0]?.trackingNumber);
    const { courier, trackingNumber } = order.shipments[0];
    const at = (s: number) => new Date(Date.now() - 60_000 + s * 1000).toISOString();
    await postTracking(stack.app, courier, { trackingNumber, type: 'picked_up', occurredAt: at(0) });
    for (let attempt = 1; attempt <= 3; attempt++) {
      await postTracking(stack.app, courier, {
        trackingNumber,
        type: 'out_for_delivery',
        occurredAt: at(attempt * 10),
      });
      await postTracking(stack.app, courier, {
        trackingNumber,
        type: 'delivery_failed',
        occurredAt: at(attempt * 10 + 5),
      });
    }
    const done = await waitForStatus(stack.app, body.id, 'cancelled', 60_000);
    expect(done.lines[0].ledger).toMatchObject({ shipped: 0, delivered: 0, refunded: 2 });
    // Nothing was collected, so nothing is refunded: no payment captured, no refund row, no provider refund.
    expect(done.payments.reduce((t: number, p: any) => t + p.captured + p.refunded, 0)).toBe(0);
    expect(await stack.db.refund.count({ where: { orderId: body.id } })).toBe(0);
    const books = await providerBooks(stack.db, body.id);
    expect([books.captured, books.refunded]).toEqual([0, 0]);
    expect(await stockOf(stack.db, sku)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
    // Nothing reached the customer: the promotion's use and money are given back (decision 069).
    await eventually(
      () => stack.db.promotionCounter.findUniqueOrThrow({ where: { promotionId: promo.id } }),
      (c) => c.uses === 0 && c.amount === 0,
      'the promotion’s count given back',
    );
  });

  test('a split order: the delivered parcel collects its paid units (and the fee if first); the returned one nothing', async () => {
    const near = await createSku(stack.db, { merchantId: COD_MERCHANT, price: 1000, stock: { 'wh-shanghai': 1 } });
    const far = await createSku(stack.db, { merchantId: COD_MERCHANT, price: 2500, stock: { 'wh-guangzhou': 2 } });
    await promote([near, far], 3000);
    const { body } = await submitOrder(
      stack.app,
      cod(
        [
          { sku: near, quantity: 1 },
          { sku: far, quantity: 2 },
        ],
        { ...WINDOWS, autoConfirmSeconds: 1 },
      ),
    );
    // 1001 over 1000 / 5000 by largest remainder: 166.83 → 167 and 834.16 → 834.
    expect(body.lines.map((l: any) => [l.discount, l.paid])).toEqual([
      [167, 833],
      [834, 4166],
    ]);
    const order = await waitForOrder(
      stack.app,
      body.id,
      (o) => o.shipments.length === 2 && o.shipments.every((s: any) => s.trackingNumber),
    );
    // Whichever parcel is delivered, it collects its own units' paid price, and the fee if it is parcel 1.
    const [a, b] = order.shipments;
    const paidOf = (s: any) => body.lines.find((l: any) => l.lineNo === s.lines[0].lineNo).paid;
    const collect = paidOf(a) + (a.seq === 1 ? FEE : 0);
    await postTracking(stack.app, a.courier, { trackingNumber: a.trackingNumber, type: 'picked_up' });
    await postTracking(stack.app, a.courier, {
      trackingNumber: a.trackingNumber,
      type: 'delivered',
      signedBy: '张三',
      codCollected: { amount: collect, currency: 'CNY' },
    });
    await postTracking(stack.app, b.courier, { trackingNumber: b.trackingNumber, type: 'picked_up' });
    await postTracking(stack.app, b.courier, { trackingNumber: b.trackingNumber, type: 'returned_to_sender' });
    const done = await waitForStatus(stack.app, body.id, 'completed', 60_000);
    expect(done.flags).toEqual([]);
    expect(done.payments.reduce((t: number, p: any) => t + p.captured, 0)).toBe(collect);
    expect(done.payments.reduce((t: number, p: any) => t + p.refunded, 0)).toBe(0);
    const returned = done.lines.find((l: any) => l.lineNo === b.lines[0].lineNo);
    expect(returned.ledger).toMatchObject({ delivered: 0, refunded: returned.quantity });
    expect((await providerBooks(stack.db, body.id)).refunded).toBe(0);
  });
});
