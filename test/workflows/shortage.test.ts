// docs/fulfilment.md, shortage negotiation: a shortage at the stock check is the customer's to decide, within a window.
import { createMerchant, createSku, providerBooks, stockOf } from '../helpers/catalog';
import { eventually } from '../api/api-helpers';
import { recordHistory } from '../helpers/fixtures';
import {
  keyed,
  deliverAll,
  KEYS,
  orderBody,
  submitOrder,
  waitForOrder,
  waitForStatus,
  useStack,
} from '../helpers/stack';

const stack = useStack();

const decide = (id: string, payload: object, key: string = KEYS.platform) =>
  stack.app.inject({ method: 'POST', url: `/v1/orders/${id}/stock-decision`, headers: keyed(key), payload });

/** An order of two lines where the second line is short by `short` units. */
async function shortOrder(opts: { price?: number; short?: number; policy?: object } = {}) {
  const { app, db } = stack;
  const plenty = await createSku(db, { price: 2000, stock: { 'wh-shanghai': 10 } });
  const scarce = await createSku(db, { price: opts.price ?? 1000, stock: { 'wh-beijing': 1 } });
  const short = opts.short ?? 2;
  const { body } = await submitOrder(
    app,
    orderBody({
      lines: [
        { sku: plenty, quantity: 1 },
        { sku: scarce, quantity: 1 + short },
      ],
      policy: opts.policy,
    }),
  );
  const order = await waitForStatus(app, body.id, 'awaiting_stock_decision');
  return { order, plenty, scarce };
}

test('the order shows what is short and until when the customer may decide', async () => {
  const { order, scarce } = await shortOrder();
  expect(order.shortage).toEqual([{ lineNo: 2, sku: scarce, quantity: 2 }]);
  expect(order.pendingDecision).toMatchObject({ awaiting: 'stock_decision', actor: 'customer' });
  expect(Date.parse(order.pendingDecision.until) - Date.now()).toBeGreaterThan(47 * 3600_000);
  expect(order.lines[1].ledger).toMatchObject({ ordered: 3, allocated: 1 });
  // The customer is told through the outbox, once per channel of their preferences (default SMS and in-app);
  // the notice is queued by the step after the one that published the wait, so await it.
  const notices = await eventually(
    () => stack.db.notification.findMany({ where: { orderId: order.id, kind: 'stock.short' } }),
    (rows) => rows.length >= 2,
    'the stock.short notices',
  );
  expect(notices.map((n) => n.channel).sort()).toEqual(['in_app', 'sms']);
});

test('partial: ships what exists; the missing units are released from the card, never taken', async () => {
  const { app, db } = stack;
  const { order, scarce } = await shortOrder({ price: 1500 });
  const res = await decide(order.id, { decision: 'partial' });
  expect(res.statusCode).toBe(200);
  const done = await waitForOrder(app, order.id, (o) => o.shipments.length === 2);
  expect(done.status).toBe('fulfilling');
  expect(done.lines[1].ledger).toMatchObject({ ordered: 3, allocated: 1, refunded: 2 });
  // Nothing is captured before the hand-over: the missing units are released from the authorization.
  expect(done.payments[0]).toMatchObject({ status: 'authorized', captured: 0, refunded: 0, voided: 2 * 1500 });
  expect(done.shortage).toBeNull();
  expect(await stockOf(db, scarce)).toEqual({ onHand: 1, reserved: 0, allocated: 1 });
  const decisions = await db.refund.findMany({ where: { orderId: order.id } });
  expect(decisions.map((r) => ({ kind: r.kind, amount: r.amount }))).toEqual([{ kind: 'release', amount: 3000 }]);
  // The hand-over captures the rest; the card was never charged for the missing units.
  const delivered = await deliverAll(app, order.id);
  expect(delivered.payments[0]).toMatchObject({ status: 'captured', captured: order.totals.total - 3000, refunded: 0 });
  expect(await providerBooks(db, order.id)).toMatchObject({
    captured: order.totals.total - 3000,
    refunded: 0,
    held: 0,
  });
});

test('substitute with a cheaper SKU: the difference is refunded', async () => {
  const { app, db } = stack;
  const cheaper = await createSku(db, { price: 600, stock: { 'wh-guangzhou': 5 } });
  const { order } = await shortOrder({ price: 1000 });
  const res = await decide(order.id, { decision: 'substitute', substitutions: [{ lineNo: 2, sku: cheaper }] });
  expect(res.statusCode).toBe(200);
  const done = await waitForOrder(app, order.id, (o) => o.shipments.length > 0);
  expect(done.lines[1].ledger).toMatchObject({ ordered: 3, allocated: 1, substituted: 2 });
  expect(done.lines[2]).toMatchObject({
    lineNo: 3,
    sku: cheaper,
    unitPrice: 600,
    quantity: 2,
    substituteFor: 2,
    ledger: { allocated: 2 },
  });
  expect(done.totals.total).toBe(order.totals.total - 2 * 400);
  expect(done.payments[0]).toMatchObject({ status: 'authorized', captured: 0, voided: 800 });
  expect(await stockOf(db, cheaper)).toEqual({ onHand: 5, reserved: 0, allocated: 2 });
});

test('substitute with a dearer SKU: the difference is charged', async () => {
  const { app, db } = stack;
  const dearer = await createSku(db, { price: 1250, stock: { 'wh-guangzhou': 5 } });
  const { order } = await shortOrder({ price: 1000 });
  expect(
    (await decide(order.id, { decision: 'substitute', substitutions: [{ lineNo: 2, sku: dearer }] })).statusCode,
  ).toBe(200);
  const done = await waitForOrder(app, order.id, (o) => o.shipments.length > 0);
  expect(done.totals.total).toBe(order.totals.total + 500);
  expect(done.payments).toEqual([
    expect.objectContaining({ status: 'authorized', amount: order.totals.total, captured: 0 }),
    expect.objectContaining({ method: 'card', status: 'authorized', amount: 500, captured: 0 }),
  ]);
  const authorizations = await db.simulatorRecord.findMany({ where: { orderId: order.id, kind: 'authorization' } });
  expect(authorizations.map((c) => c.amount).sort()).toEqual([500, order.totals.total].sort());
  // The hand-over captures both.
  const delivered = await deliverAll(app, order.id);
  expect(delivered.payments.map((p: { captured: number }) => p.captured)).toEqual([order.totals.total, 500]);
  recordHistory(`order-${order.id}`, 'order-substitute-dearer-authorized');
});

test('substitute with a dearer SKU on a wallet order: the difference is a second payment action', async () => {
  const { app, db, providers } = stack;
  const scarce = await createSku(db, { price: 1000, stock: { 'wh-beijing': 0 } });
  const dearer = await createSku(db, { price: 1300, stock: { 'wh-guangzhou': 5 } });
  const { body } = await submitOrder(
    app,
    orderBody({ paymentMethod: 'wechat_pay', card: undefined, lines: [{ sku: scarce, quantity: 1 }] }),
  );
  await waitForStatus(app, body.id, 'awaiting_payment');
  await providers.wallets.wechat_pay.pay(
    (await db.payment.findFirstOrThrow({ where: { orderId: body.id } })).providerRef!,
  );
  await waitForStatus(app, body.id, 'awaiting_stock_decision');
  expect(
    (await decide(body.id, { decision: 'substitute', substitutions: [{ lineNo: 1, sku: dearer }] })).statusCode,
  ).toBe(200);
  const asked = await waitForOrder(app, body.id, (o) => o.payments.length === 2);
  expect(asked.payments[1]).toMatchObject({
    method: 'wechat_pay',
    status: 'pending',
    amount: 300,
    action: { type: 'qr_code' },
  });
  expect(asked.pendingDecision).toMatchObject({ awaiting: 'payment', actor: 'customer' });
  await providers.wallets.wechat_pay.pay(
    (await db.payment.findUniqueOrThrow({ where: { id: asked.payments[1].paymentId } })).providerRef!,
    { duplicate: true },
  );
  const done = await waitForOrder(app, body.id, (o) => o.shipments.length === 1);
  expect(done.payments.map((p: { captured: number }) => p.captured)).toEqual([1000, 300]);
  expect(done.totals.total).toBe(1300);
});

test('a backordered order also takes stock freed by a cancellation, at its periodic look', async () => {
  const { app, db } = stack;
  const merchantId = await createMerchant(db, { autoAccept: false, backorderRecheckSeconds: 1 });
  const sku = await createSku(db, { merchantId, stock: { 'wh-shanghai': 1 } });
  const { body: holder } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  await waitForStatus(app, holder.id, 'awaiting_merchant');
  const { body: waiter } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  await waitForStatus(app, waiter.id, 'awaiting_stock_decision');
  expect((await decide(waiter.id, { decision: 'wait_for_restock' })).json().status).toBe('backordered');
  // No restock: the holder's cancellation frees the unit, and no one signals the waiter.
  expect(
    (
      await app.inject({
        method: 'POST',
        url: `/v1/orders/${holder.id}/cancel`,
        headers: keyed(KEYS.platform),
        payload: { reason: 'changed my mind' },
      })
    ).statusCode,
  ).toBe(200);
  const served = await waitForStatus(app, waiter.id, 'awaiting_merchant');
  expect(served.lines[0].ledger).toMatchObject({ allocated: 1 });
  expect(await stockOf(db, sku)).toEqual({ onHand: 1, reserved: 0, allocated: 1 });
});

test('cancel: full refund, everything released', async () => {
  const { app, db } = stack;
  const { order, plenty, scarce } = await shortOrder();
  expect((await decide(order.id, { decision: 'cancel' })).statusCode).toBe(200);
  const done = await waitForStatus(app, order.id, 'cancelled');
  expect(done.cancellation).toMatchObject({ actor: 'platform:dev platform' });
  expect(done.payments[0]).toMatchObject({ status: 'voided', captured: 0, refunded: 0, voided: order.totals.total });
  expect(await stockOf(db, plenty)).toEqual({ onHand: 10, reserved: 0, allocated: 0 });
  expect(await stockOf(db, scarce)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
});

test('no decision within the window: the default action (cancel) applies', async () => {
  const { app } = stack;
  const { order } = await shortOrder({ policy: { stockDecisionSeconds: 1 } });
  const done = await waitForStatus(app, order.id, 'cancelled');
  expect(done.cancellation).toMatchObject({
    actor: 'policy:stock-decision-window',
    reason: expect.stringMatching(/no decision within the window/),
  });
  expect(done.payments[0]).toMatchObject({ status: 'voided', voided: order.totals.total });
});

test('bad decisions are refused at once and change nothing', async () => {
  const { app, db } = stack;
  const other = await createSku(db, { stock: { 'wh-shanghai': 1 } });
  const { order, plenty } = await shortOrder();
  const cases: Array<[object, number, string?]> = [
    [{ decision: 'maybe' }, 400, 'decision'],
    [{ decision: 'substitute' }, 400, 'substitutions'],
    [{ decision: 'partial', substitutions: [{ lineNo: 2, sku: other }] }, 400, 'substitutions'],
    [{ decision: 'substitute', substitutions: [{ lineNo: 7, sku: other }] }, 422, 'substitutions.0.lineNo'],
    [{ decision: 'substitute', substitutions: [{ lineNo: 2, sku: 'NO-SUCH-SKU' }] }, 422, 'substitutions.0.sku'],
    [{ decision: 'substitute', substitutions: [{ lineNo: 2, sku: plenty }] }, 422, 'substitutions.0.sku'],
  ];
  for (const [payload, status, field] of cases) {
    const res = await decide(order.id, payload);
    expect({ payload, status: res.statusCode }).toEqual({ payload, status });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    if (field) expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  }
  // A merchant may not decide for the customer.
  expect((await decide(order.id, { decision: 'cancel' }, KEYS.merchant)).statusCode).toBe(403);
  const still = await waitForStatus(app, order.id, 'awaiting_stock_decision');
  expect(still.version ?? still.status).toBe(order.version ?? order.status);
  expect(still.lines).toEqual(order.lines);
  // A decision for an order that is not short is a conflict.
  const { body: fine } = await submitOrder(app, orderBody());
  await waitForStatus(app, fine.id, 'fulfilling');
  expect((await decide(fine.id, { decision: 'cancel' })).statusCode).toBe(409);
});

test('a restock of 5 units serves exactly the 5 oldest of 8 backordered orders; the other 3 keep waiting', async () => {
  const { app, db } = stack;
  const sku = await createSku(db, { stock: { 'wh-shanghai': 0 } });
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) {
    const { body } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    ids.push(body.id);
  }
  for (const id of ids) {
    await waitForStatus(app, id, 'awaiting_stock_decision');
    const res = await decide(id, { decision: 'wait_for_restock' });
    expect(res.json().status).toBe('backordered');
  }
  const restock = await app.inject({
    method: 'POST',
    url: `/v1/inventory/${sku}/restock`,
    headers: keyed(KEYS.merchant),
    payload: { warehouseId: 'wh-beijing', quantity: 5 },
  });
  expect(restock.statusCode).toBe(200);

  const served = await Promise.all(ids.slice(0, 5).map((id) => waitForOrder(app, id, (o) => o.shipments.length === 1)));
  for (const o of served) expect(o.lines[0].ledger).toMatchObject({ allocated: 1 });
  expect(await stockOf(db, sku)).toEqual({ onHand: 5, reserved: 0, allocated: 5 });
  const waiting = await db.backorder.findMany({ where: { sku, state: 'waiting' }, orderBy: { queuedAt: 'asc' } });
  expect(waiting.map((b) => b.orderId)).toEqual(ids.slice(5));
  for (const id of ids.slice(5))
    expect((await waitForStatus(app, id, 'backordered')).shortage).toEqual([{ lineNo: 1, sku, quantity: 1 }]);
  recordHistory(`order-${ids[0]}`, 'order-backordered-restocked');

  // One more unit arrives: the oldest of the remaining three gets it.
  await app.inject({
    method: 'POST',
    url: `/v1/inventory/${sku}/restock`,
    headers: keyed(KEYS.merchant),
    payload: { warehouseId: 'wh-shanghai', quantity: 1 },
  });
  await waitForOrder(app, ids[5], (o) => o.shipments.length === 1);
  expect((await db.backorder.findMany({ where: { sku, state: 'waiting' } })).map((b) => b.orderId).sort()).toEqual(
    ids.slice(6).sort(),
  );

  // A backordered order can still be cancelled: refunded, and out of the queue.
  expect(
    (
      await app.inject({
        method: 'POST',
        url: `/v1/orders/${ids[7]}/cancel`,
        headers: keyed(KEYS.platform),
        payload: { reason: 'waited long enough' },
      })
    ).statusCode,
  ).toBe(200);
  expect((await waitForStatus(app, ids[7], 'cancelled')).payments[0]).toMatchObject({ status: 'voided', captured: 0 });
  expect(await db.backorder.count({ where: { orderId: ids[7] } })).toBe(0);
}, 120_000);
