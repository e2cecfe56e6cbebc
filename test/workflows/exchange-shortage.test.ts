// Issue 5: an exchange whose replacement cannot be allocated is negotiated with the customer exactly
// like an order's shortage (docs/after-sales.md): wait_for_restock (in the same FIFO backorder queue as
// orders), substitute, partial or cancel, within the stock-decision window, else the policy's default.
// Real Temporal and PostgreSQL, driven through the HTTP API and signed courier webhooks.
import { createHash, randomUUID } from 'node:crypto';
import { DEV_API_KEYS } from '../../config';
import { CURRENT_LIFECYCLE, LIFECYCLE_TYPES } from '../../contract';
import { createSku, providerBooks, stockOf } from '../helpers/catalog';
import { afterSalesHelpers } from '../helpers/after-sales';
import { patchesAroundFirstActivity, recordHistory } from '../helpers/fixtures';
import { KEYS, orderBody, submitOrder, useStack, waitForOrder, waitForStatus } from '../helpers/stack';
import { eventually, expectOk, expectProblem, send } from '../api/api-helpers';

/** A merchant of this file's own whose unanswered shortages wait for a restock, with its key (the dev keys stay). */
const WAITING_MERCHANT = `m-wait-${randomUUID().slice(0, 8)}`;
const WAITING_MERCHANT_KEY = `merchant-${randomUUID()}`;
const stack = useStack({
  env: {
    API_KEYS: JSON.stringify([
      ...DEV_API_KEYS,
      {
        sha256: createHash('sha256').update(WAITING_MERCHANT_KEY).digest('hex'),
        role: 'merchant',
        merchantId: WAITING_MERCHANT,
        name: 'waiting merchant',
      },
    ]),
  },
});
const { request, getRequest, waitForRequestStatus, inspect, deliveredOrder, shipBack, deliverOutbound, timelineOf } =
  afterSalesHelpers(stack);

const stockDecision = (id: string, payload: unknown, key: string = KEYS.platform) =>
  send(stack.app, 'POST', `/v1/after-sales/${id}/stock-decision`, key, payload);

/**
 * A delivered order and an exchange of `exchanged` units whose goods came back damaged (so nothing
 * returns to the shelf): the replacement is allocated from what is left, `left` units.
 */
async function shortExchange(
  opts: {
    price?: number;
    quantity?: number;
    exchanged?: number;
    left?: number;
    merchantId?: string;
    merchantKey?: string;
    policy?: Record<string, number>;
  } = {},
) {
  const quantity = opts.quantity ?? 1;
  const { sku, orderId, total } = await deliveredOrder({
    price: opts.price ?? 2000,
    quantity,
    stock: quantity + (opts.left ?? 0),
    merchantId: opts.merchantId,
    policy: opts.policy,
  });
  // Worth at most the auto-approval amount: approved by policy.
  const r = expectOk(
    await request(orderId, {
      type: 'exchange',
      lines: [{ sku, quantity: opts.exchanged ?? quantity }],
      reason: 'defective',
    }),
    201,
  );
  await shipBack(r.id);
  expectOk(await inspect(r.id, { lines: [{ sku, condition: 'damaged' }] }, opts.merchantKey));
  const asked = await waitForRequestStatus(r.id, 'awaiting_stock_decision');
  return { sku, orderId, total, id: r.id as string, asked };
}

const afterSalesSteps = async (orderId: string) =>
  (await timelineOf(orderId)).filter((e) => e.type.startsWith('after_sales.')).map((e) => [e.type, e.actor]);

test('an exchange whose replacement is short waits for the customer: the shortage per line, the window, a notice', async () => {
  const { app, db } = stack;
  const { sku, orderId, id, asked } = await shortExchange();
  expect(asked).toMatchObject({
    type: 'exchange',
    shortage: [{ lineNo: 1, sku, quantity: 1 }],
    pendingDecision: { awaiting: 'stock_decision', actor: 'customer' },
    replacement: [{ lineNo: 1, sku, quantity: 1, allocated: 0, refunded: 0 }],
    stockDecision: null,
    resolution: null,
  });
  // Policy stockDecisionSeconds: 48 h by default.
  expect(Date.parse(asked.pendingDecision.until) - Date.now()).toBeGreaterThan(47 * 3600_000);
  expect(asked.timeline.at(-1)).toMatchObject({
    type: 'after_sales.stock_short',
    actor: 'system',
    detail: { short: [{ lineNo: 1, sku, quantity: 1 }], until: asked.pendingDecision.until },
  });
  // The customer is told through the outbox, with what is short and until when (on each channel of
  // their preferences: by default SMS and in-app, docs/notifications.md).
  const notice = await eventually(
    () => db.notification.findUnique({ where: { id: `${id}:customer.after_sales.stock_short:1:sms` } }),
    (n) => n !== null,
    'the stock_short notice',
  );
  expect(notice).toMatchObject({
    recipientType: 'customer',
    kind: 'after_sales.stock_short',
    payload: { requestId: id, status: 'awaiting_stock_decision', short: [{ lineNo: 1, sku, quantity: 1 }] },
  });
  // The order lists the request as waiting, and its timeline shows the shortage.
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'awaiting_stock_decision');
  expect(order.lines[0].ledger).toMatchObject({ delivered: 1, returned: 0, refunded: 0 });
  expect((await timelineOf(orderId)).find((e) => e.type === 'after_sales.stock_short')).toMatchObject({
    actor: 'system',
    detail: { requestId: id, short: [{ lineNo: 1, sku, quantity: 1 }] },
  });
  // Lists filter by the new status.
  const listed = expectOk(
    await send(app, 'GET', `/v1/after-sales?orderId=${orderId}&status=awaiting_stock_decision`, KEYS.support),
  );
  expect(listed.items).toEqual([
    expect.objectContaining({ id, pendingDecision: expect.objectContaining({ awaiting: 'stock_decision' }) }),
  ]);
});

test('the stock-decision route is in the OpenAPI document, for the platform only', async () => {
  const doc = expectOk(await send(stack.app, 'GET', '/openapi.json', undefined));
  const op = doc.paths['/v1/after-sales/{id}/stock-decision'].post;
  expect(op['x-roles']).toEqual(['platform']);
  expect(op.requestBody.content['application/json'].schema.properties.decision.enum).toEqual([
    'wait_for_restock',
    'substitute',
    'partial',
    'cancel',
  ]);
});

test('wait_for_restock: the request joins the SKU queue behind an order backordered earlier; restocks serve the order first, then the replacement ships', async () => {
  const { app, db } = stack;
  // The SKU's one unit is sold and delivered; then another order falls short and waits for a restock.
  const { sku, orderId } = await deliveredOrder({ price: 2000, quantity: 1, stock: 1 });
  const { body: waiter } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  const orderB = waiter.id as string;
  await waitForStatus(app, orderB, 'awaiting_stock_decision');
  expect(
    expectOk(
      await send(app, 'POST', `/v1/orders/${orderB}/stock-decision`, KEYS.platform, { decision: 'wait_for_restock' }),
    ).status,
  ).toBe('backordered');
  // Only then is the exchange requested; its replacement is short too.
  const r = expectOk(
    await request(orderId, { type: 'exchange', lines: [{ sku, quantity: 1 }], reason: 'defective' }),
    201,
  );
  const id = r.id as string;
  await shipBack(id);
  expectOk(await inspect(id, { lines: [{ sku, condition: 'damaged' }] }));
  await waitForRequestStatus(id, 'awaiting_stock_decision');

  const waiting = expectOk(await stockDecision(id, { decision: 'wait_for_restock' }));
  expect(waiting).toMatchObject({
    status: 'backordered',
    shortage: [{ lineNo: 1, sku, quantity: 1 }],
    stockDecision: { decision: 'wait_for_restock', actor: 'platform:dev platform' },
    pendingDecision: null,
  });
  // Only cancel is possible while backordered; nothing else changes the request.
  expectProblem(await stockDecision(id, { decision: 'partial' }), 409, '/problems/not-allowed-in-state');
  // One FIFO queue: the order (submitted before the request was made) first, then the request.
  const queue = await db.backorder.findMany({ where: { sku }, orderBy: { queuedAt: 'asc' } });
  expect(queue.map((b) => [b.orderId, b.holderId, b.workflowId, b.state])).toEqual([
    [orderB, orderB, `order-${orderB}`, 'waiting'],
    [orderId, id, `after-sales-${id}`, 'waiting'],
  ]);

  // One unit arrives: the order gets it, the request keeps waiting.
  expectOk(
    await send(app, 'POST', `/v1/inventory/${sku}/restock`, KEYS.merchant, { warehouseId: 'wh-beijing', quantity: 1 }),
  );
  const served = await waitForOrder(app, orderB, (o) => o.shipments.length === 1);
  expect(served.lines[0].ledger).toMatchObject({ allocated: 1 });
  expect(await db.backorder.findMany({ where: { sku, state: 'waiting' } })).toEqual([
    expect.objectContaining({ holderId: id }),
  ]);
  expect(await getRequest(id)).toMatchObject({ status: 'backordered', shortage: [{ lineNo: 1, sku, quantity: 1 }] });

  // The next unit is the request's: the replacement is allocated and shipped.
  expectOk(
    await send(app, 'POST', `/v1/inventory/${sku}/restock`, KEYS.merchant, { warehouseId: 'wh-shanghai', quantity: 1 }),
  );
  await waitForRequestStatus(id, 'shipping_back');
  const done = await deliverOutbound(id);
  expect(done).toMatchObject({
    shortage: null,
    resolution: { outcome: 'exchanged', refunded: 0 },
    replacement: [{ lineNo: 1, quantity: 1, allocated: 1, delivered: 1, refunded: 0 }],
  });
  expect(done.shipments.map((s: any) => [s.direction, s.status])).toEqual([
    ['return', 'delivered'],
    ['outbound', 'delivered'],
  ]);
  // Two units arrived: one allocated to the order (not yet shipped), one shipped as the replacement.
  expect(await stockOf(db, sku)).toEqual({ onHand: 1, reserved: 0, allocated: 1 });
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.lines[0].ledger).toMatchObject({ delivered: 1, returned: 0, refunded: 0 });
  expect(order.payments[0].refunded).toBe(0);
  expect(await afterSalesSteps(orderId)).toEqual([
    ['after_sales.requested', 'platform:dev platform'],
    ['after_sales.approved', 'policy:auto-approve'],
    ['after_sales.return_picked_up', 'courier:sf-express'],
    ['after_sales.return_received', 'courier:sf-express'],
    ['after_sales.inspected', 'merchant:dev merchant m-demo'],
    ['after_sales.stock_short', 'system'],
    ['after_sales.stock_decided', 'platform:dev platform'],
    ['after_sales.restocked', 'system'],
    ['after_sales.replacement_allocated', 'system'],
    ['after_sales.exchanged', 'system'],
  ]);
  // A new order's request is of the order's version (contract/versions.ts, the current one): it took every
  // patch of version 1, the shortage's included, and records no patch marker, so no `patched()` can
  // follow the replacement's allocation into a later workflow task (workflows/after-sales/patches.ts).
  // Its parcels stay shipment children, of its own version (docs/decisions/100).
  const history = await stack.client.workflow.getHandle(`after-sales-${id}`).fetchHistory();
  const events = history.events ?? [];
  expect(events[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(
    LIFECYCLE_TYPES[CURRENT_LIFECYCLE].afterSales,
  );
  expect(patchesAroundFirstActivity(events)).toEqual({ before: [], after: [] });
  expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toEqual([]);
  expect(
    events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name ?? []),
  ).toEqual([1, 2].map(() => LIFECYCLE_TYPES[CURRENT_LIFECYCLE].shipment));
  // RECORD_FIXTURES=1: for test/e2e/replay.test.ts (test/fixtures/v5/; v1/ to v4/ have the same path
  // as those versions ran it), with the request's return parcel and its replacement parcel.
  recordHistory(`after-sales-${id}`, 'after-sales-exchange-backordered-restocked');
  recordHistory(`after-sales-${id}-return-1`, 'shipment-after-sales-return-delivered');
  recordHistory(`after-sales-${id}-outbound-1`, 'shipment-after-sales-replacement-delivered');
}, 90_000);

test('partial: what is in stock is replaced, exactly the rest is refunded at once', async () => {
  const { app, db } = stack;
  const { sku, orderId, id, asked } = await shortExchange({ price: 2000, quantity: 2, left: 1 });
  expect(asked).toMatchObject({
    shortage: [{ lineNo: 1, sku, quantity: 1 }],
    replacement: [{ quantity: 2, allocated: 1 }],
  });
  const decided = expectOk(await stockDecision(id, { decision: 'partial' }));
  expect(decided.stockDecision).toMatchObject({ decision: 'partial', actor: 'platform:dev platform', refunded: 2000 });
  // The refund is made with the decision, before the replacement travels.
  const refunded = await waitForOrder(app, orderId, (o) => o.payments[0].refunded === 2000);
  expect(refunded.lines[0].ledger).toMatchObject({ delivered: 2, returned: 1, refunded: 1 });
  const done = await deliverOutbound(id);
  expect(done.resolution).toMatchObject({
    outcome: 'exchanged',
    refunded: 2000,
    refundedInstead: [{ lineNo: 1, quantity: 1 }],
  });
  expect(done.replacement).toEqual([expect.objectContaining({ quantity: 2, allocated: 1, delivered: 1, refunded: 1 })]);
  expect(await stockOf(db, sku)).toEqual({ onHand: 0, reserved: 0, allocated: 0 });
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.payments[0]).toMatchObject({ captured: 4000, refunded: 2000 });
  expect(order.lines[0].ledger).toMatchObject({ delivered: 2, returned: 1, refunded: 1 });
  expect(order.afterSales[0]).toMatchObject({ refunded: 2000, reservedAmount: 0 });
  expect((await providerBooks(db, orderId)).refunded).toBe(2000);
});

test('cancel: nothing is replaced, exactly the short units are refunded', async () => {
  const { app, db } = stack;
  // Two units delivered, one exchanged, none left.
  const { sku, orderId, id } = await shortExchange({ price: 2000, quantity: 2, exchanged: 1 });
  const decided = expectOk(await stockDecision(id, { decision: 'cancel' }));
  expect(decided.stockDecision).toMatchObject({ decision: 'cancel', actor: 'platform:dev platform' });
  const done = await waitForRequestStatus(id, 'completed');
  expect(done.resolution).toMatchObject({
    outcome: 'refunded',
    refunded: 2000,
    refunds: [{ amount: 2000, method: 'card' }],
    refundedInstead: [{ lineNo: 1, quantity: 1 }],
  });
  expect(done.shipments.map((s: any) => s.direction)).toEqual(['return']);
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.payments[0]).toMatchObject({ captured: 4000, refunded: 2000 });
  expect(order.lines[0].ledger).toMatchObject({ delivered: 2, returned: 1, refunded: 1 });
  expect((await providerBooks(db, orderId)).refunded).toBe(2000);
  expect(await stockOf(db, sku)).toEqual({ onHand: 0, reserved: 0, allocated: 0 });
  expect((await timelineOf(orderId)).find((e) => e.type === 'after_sales.stock_decided')).toMatchObject({
    actor: 'platform:dev platform',
    detail: { requestId: id, decision: 'cancel', refunded: 2000 },
  });
  // The request has finished: another decision is a conflict.
  expectProblem(await stockDecision(id, { decision: 'cancel' }), 409, '/problems/not-allowed-in-state');
});

test('substitute: a cheaper SKU is the replacement and the difference is refunded; a dearer one is refused', async () => {
  const { app, db } = stack;
  const cheaper = await createSku(db, { price: 1500, stock: { 'wh-guangzhou': 2 } });
  const dearer = await createSku(db, { price: 2500, stock: { 'wh-guangzhou': 2 } });
  const { sku, orderId, id } = await shortExchange({ price: 2000 });
  expectProblem(
    await stockDecision(id, { decision: 'substitute', substitutions: [{ lineNo: 1, sku: dearer }] }),
    422,
    '/problems/unprocessable',
    ['substitutions.0.sku'],
  );
  const decided = expectOk(
    await stockDecision(id, { decision: 'substitute', substitutions: [{ lineNo: 1, sku: cheaper }] }),
  );
  expect(decided.stockDecision).toMatchObject({
    decision: 'substitute',
    substitutions: [{ lineNo: 1, sku: cheaper, unitPrice: 1500 }],
    refunded: 500,
  });
  const done = await deliverOutbound(id);
  expect(done.replacement).toEqual([
    expect.objectContaining({ lineNo: 1, sku, quantity: 1, substituted: 1, allocated: 0 }),
    expect.objectContaining({ lineNo: 2, sku: cheaper, unitPrice: 1500, quantity: 1, substituteFor: 1, delivered: 1 }),
  ]);
  expect(done.shipments.find((s: any) => s.direction === 'outbound').lines).toEqual([
    { lineNo: 2, sku: cheaper, quantity: 1 },
  ]);
  expect(done.resolution).toMatchObject({ outcome: 'exchanged', refunded: 500 });
  expect(done.resolution.refundedInstead).toBeUndefined();
  expect(await stockOf(db, cheaper)).toEqual({ onHand: 1, reserved: 0, allocated: 0 });
  expect(await stockOf(db, dearer)).toEqual({ onHand: 2, reserved: 0, allocated: 0 });
  // The unit was exchanged (for another SKU), not returned; the difference is money only.
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.lines[0].ledger).toMatchObject({ delivered: 1, returned: 0, refunded: 0 });
  expect(order.payments[0]).toMatchObject({ captured: 2000, refunded: 500 });
  expect((await timelineOf(orderId)).find((e) => e.type === 'after_sales.stock_decided')).toMatchObject({
    actor: 'platform:dev platform',
    detail: { decision: 'substitute', priceDifference: -500 },
  });
});

test('no answer within the window: the default action applies (cancel by default)', async () => {
  const { app } = stack;
  const { orderId, id } = await shortExchange({ price: 2000, policy: { stockDecisionSeconds: 1 } });
  const done = await waitForRequestStatus(id, 'completed');
  expect(done).toMatchObject({
    stockDecision: { decision: 'cancel', actor: 'policy:stock-decision-window' },
    resolution: { outcome: 'refunded', refunded: 2000 },
  });
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.payments[0].refunded).toBe(2000);
});

test("a merchant's default wait_for_restock backorders the replacement; a backordered exchange can still be given up", async () => {
  const { app, db } = stack;
  await db.merchant.create({
    data: { id: WAITING_MERCHANT, name: 'Waiting merchant', policy: { stockDecisionDefault: 'wait_for_restock' } },
  });
  const { sku, orderId, id } = await shortExchange({
    price: 2000,
    merchantId: WAITING_MERCHANT,
    merchantKey: WAITING_MERCHANT_KEY,
    policy: { stockDecisionSeconds: 1 },
  });
  const waiting = await waitForRequestStatus(id, 'backordered');
  expect(waiting.stockDecision).toMatchObject({ decision: 'wait_for_restock', actor: 'policy:stock-decision-window' });
  expect(await db.backorder.count({ where: { holderId: id, state: 'waiting' } })).toBe(1);
  const given = expectOk(await stockDecision(id, { decision: 'cancel' }));
  expect(given).toMatchObject({
    status: 'completed',
    stockDecision: { decision: 'cancel', actor: 'platform:dev platform' },
    resolution: { outcome: 'refunded', refunded: 2000 },
  });
  // Out of the queue, nothing held, the money back.
  expect(await db.backorder.count({ where: { holderId: id } })).toBe(0);
  expect(await stockOf(db, sku)).toEqual({ onHand: 0, reserved: 0, allocated: 0 });
  const order = await waitForOrder(app, orderId, (o) => o.afterSales[0]?.status === 'completed');
  expect(order.payments[0].refunded).toBe(2000);
});

test('bad decisions are refused at once (400/422/403/404/409) and change nothing', async () => {
  const { app, db } = stack;
  const cheaper = await createSku(db, { price: 1000, stock: { 'wh-guangzhou': 1 } });
  const dearer = await createSku(db, { price: 3000, stock: { 'wh-guangzhou': 1 } });
  const { sku, orderId, id, asked } = await shortExchange({ price: 2000 });
  const cases: Array<[unknown, number, string, string?]> = [
    [{ decision: 'maybe' }, 400, '/problems/validation-error', 'decision'],
    [{ decision: 'substitute' }, 400, '/problems/validation-error', 'substitutions'],
    [
      { decision: 'partial', substitutions: [{ lineNo: 1, sku: cheaper }] },
      400,
      '/problems/validation-error',
      'substitutions',
    ],
    ['{"decision":', 400, '/problems/malformed-json'],
    [
      { decision: 'substitute', substitutions: [{ lineNo: 7, sku: cheaper }] },
      422,
      '/problems/unprocessable',
      'substitutions.0.lineNo',
    ],
    [
      { decision: 'substitute', substitutions: [{ lineNo: 1, sku: 'NO-SUCH-SKU' }] },
      422,
      '/problems/unprocessable',
      'substitutions.0.sku',
    ],
    [
      { decision: 'substitute', substitutions: [{ lineNo: 1, sku }] },
      422,
      '/problems/unprocessable',
      'substitutions.0.sku',
    ],
    [
      { decision: 'substitute', substitutions: [{ lineNo: 1, sku: dearer }] },
      422,
      '/problems/unprocessable',
      'substitutions.0.sku',
    ],
    // Nothing of the replacement is in stock: there is nothing to replace in part.
    [{ decision: 'partial' }, 422, '/problems/unprocessable', 'decision'],
  ];
  for (const [payload, status, type, field] of cases)
    expectProblem(await stockDecision(id, payload), status, type, field ? [field] : undefined);
  // Only the platform relays the customer's choice.
  expectProblem(await stockDecision(id, { decision: 'cancel' }, KEYS.merchant), 403, '/problems/forbidden');
  expectProblem(await stockDecision(id, { decision: 'cancel' }, KEYS.support), 403, '/problems/forbidden');
  expectProblem(await stockDecision('as_missing', { decision: 'cancel' }), 404, '/problems/not-found');

  const still = await getRequest(id);
  expect(still).toMatchObject({
    status: 'awaiting_stock_decision',
    shortage: asked.shortage,
    replacement: asked.replacement,
    stockDecision: null,
    pendingDecision: asked.pendingDecision,
  });
  expect(still.timeline).toEqual(asked.timeline);
  const order = await waitForOrder(app, orderId, () => true);
  expect(order.payments[0].refunded).toBe(0);
  expect(await db.refund.count({ where: { orderId } })).toBe(0);

  // A request that is not short (a return awaiting the merchant) is a conflict.
  const other = await deliveredOrder({ quantity: 1, price: 10000 });
  const r = expectOk(
    await request(other.orderId, { type: 'return', lines: [{ sku: other.sku, quantity: 1 }], reason: 'defective' }),
    201,
  );
  expectProblem(await stockDecision(r.id, { decision: 'cancel' }), 409, '/problems/not-allowed-in-state');
  expect((await getRequest(r.id)).status).toBe('awaiting_decision');
});

test('resellable goods back from a return wake a backordered order at once (not at its hourly look)', async () => {
  const { app, db } = stack;
  const { sku, orderId } = await deliveredOrder({ price: 2000, quantity: 1, stock: 1 });
  // A second customer finds the SKU sold out and chooses to wait for it.
  const { body: waiter } = await submitOrder(app, orderBody({ lines: [{ sku, quantity: 1 }] }));
  await waitForStatus(app, waiter.id, 'awaiting_stock_decision');
  expect(
    expectOk(
      await send(app, 'POST', `/v1/orders/${waiter.id}/stock-decision`, KEYS.platform, {
        decision: 'wait_for_restock',
      }),
    ).status,
  ).toBe('backordered');
  // The first customer returns the unit (auto-approved: under the amount threshold); it is resellable.
  const r = expectOk(
    await request(orderId, { type: 'return', lines: [{ sku, quantity: 1 }], reason: 'no_reason' }),
    201,
  );
  await shipBack(r.id);
  expectOk(await inspect(r.id, { lines: [{ sku, condition: 'ok' }] }));
  // The restock signals the waiter (backorderRecheckSeconds is an hour by default).
  const served = await waitForStatus(app, waiter.id, 'fulfilling');
  expect(served.lines[0].ledger).toMatchObject({ allocated: 1 });
  expect(await stockOf(db, sku)).toMatchObject({ onHand: 1, allocated: 1 });
});
