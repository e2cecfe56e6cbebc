// docs/security.md, webhook signatures: `X-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
// 5-minute tolerance, one secret per provider or courier; a refused event changes nothing; events
// are deduplicated by eventId.
import { randomUUID } from 'node:crypto';
import { webhookSecret } from '../../adapters/secrets';
import { signWebhook } from '../../adapters/signing';
import { KEYS, orderBody, submitOrder, waitForOrder, waitForStatus, useStack } from '../helpers/stack';
import { createProduct, expectOk, expectProblem, parcelHolder, parcelNow, signalsHandled } from './api-helpers';

const stack = useStack();
let sku: string;
beforeAll(async () => {
  sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 100 } });
});

const now = () => Math.floor(Date.now() / 1000);

/** Posts a raw body with the given signature header (or none). */
function post(url: string, rawBody: string, signature?: string) {
  return stack.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'x-signature': signature } : {}) },
    payload: rawBody,
  });
}

/** The ways a webhook can be badly signed, given the body actually sent and the right secret. */
function badSignatures(
  rawBody: string,
  secret: string,
  otherSecret: string,
  altered: string,
): Array<[string, string, string | undefined]> {
  return [
    ['no signature', rawBody, undefined],
    ['an empty signature', rawBody, ''],
    ['a malformed signature', rawBody, 't=abc,v1=xyz'],
    ['only a timestamp', rawBody, `t=${now()}`],
    ['a wrong secret', rawBody, signWebhook('not-the-secret', rawBody)],
    ["another source's secret", rawBody, signWebhook(otherSecret, rawBody)],
    ['an altered body (one body signed, another sent)', altered, signWebhook(secret, rawBody)],
    [
      'the same JSON re-serialised (the raw bytes are signed)',
      JSON.stringify(JSON.parse(rawBody), null, 2),
      signWebhook(secret, rawBody),
    ],
    ['a stale timestamp (400 s old)', rawBody, signWebhook(secret, rawBody, now() - 400)],
    ['a stale timestamp (301 s old)', rawBody, signWebhook(secret, rawBody, now() - 302)],
    ['a timestamp 400 s in the future', rawBody, signWebhook(secret, rawBody, now() + 400)],
    [
      'a signature replayed with a new timestamp',
      rawBody,
      signWebhook(secret, rawBody, now() - 400).replace(/^t=\d+/, `t=${now()}`),
    ],
  ];
}

describe('logistics webhooks', () => {
  let order: any;
  let shipment: { shipmentId: string; courier: string; trackingNumber: string };

  beforeAll(async () => {
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    expectOk(res, 201);
    order = await waitForOrder(
      stack.app,
      body.id,
      (o) => o.shipments.length === 1 && Boolean(o.shipments[0].trackingNumber),
    );
    shipment = order.shipments[0];
    expect(shipment.courier).toBe('sf-express');
  });

  const url = () => `/v1/webhooks/logistics/${shipment.courier}`;
  const event = (type: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      eventId: randomUUID(),
      trackingNumber: shipment.trackingNumber,
      type,
      location: 'Shanghai hub',
      occurredAt: new Date().toISOString(),
      ...extra,
    });

  /** What a refused event must not change. */
  async function observed(eventId: string) {
    const row = await stack.db.shipment.findUniqueOrThrow({ where: { id: shipment.shipmentId } });
    const live = await waitForOrder(stack.app, order.id, () => true);
    return {
      shipmentStatus: row.status,
      liveStatus: live.shipments[0].status,
      orderStatus: live.status,
      tracking: await stack.db.trackingEvent.count({ where: { shipmentId: shipment.shipmentId } }),
      webhookRow: await stack.db.webhookEvent.count({ where: { source: shipment.courier, eventId } }),
    };
  }

  test.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])('bad signature #%d → 401 and nothing changes', async (i) => {
    const rawBody = event('picked_up');
    const altered = rawBody.replace('"picked_up"', '"delivered"');
    const [what, sent, signature] = badSignatures(
      rawBody,
      webhookSecret(shipment.courier),
      webhookSecret('yto'),
      altered,
    )[i];
    const eventId = JSON.parse(rawBody).eventId;
    const before = await observed(eventId);
    expect(before).toEqual({
      shipmentStatus: 'booked',
      liveStatus: 'booked',
      orderStatus: 'fulfilling',
      tracking: 0,
      webhookRow: 0,
    });
    const res = await post(url(), sent, signature);
    expect({ what, status: res.statusCode }).toEqual({ what, status: 401 });
    expectProblem(res, 401, '/problems/unauthorized');
    expect(await observed(eventId)).toEqual(before);
  });

  test('an invalid payload is checked after the signature: unsigned → 401, signed → 400 naming the fields', async () => {
    const rawBody = JSON.stringify({
      eventId: randomUUID(),
      trackingNumber: shipment.trackingNumber,
      type: 'teleported',
    });
    expectProblem(await post(url(), rawBody), 401, '/problems/unauthorized');
    const res = await post(url(), rawBody, signWebhook(webhookSecret(shipment.courier), rawBody));
    expectProblem(res, 400, '/problems/validation-error', ['type', 'occurredAt']);
    expect(await observed(JSON.parse(rawBody).eventId)).toMatchObject({
      shipmentStatus: 'booked',
      tracking: 0,
      webhookRow: 0,
    });
  });

  test('an unsigned body that is not JSON → 401 (the signature is checked before the payload)', async () => {
    const res = await post(url(), '{"eventId": "x", "type": ');
    expectProblem(res, 401, '/problems/unauthorized');
  });

  test('a signed body that is not JSON → 400', async () => {
    const rawBody = '{"eventId": "x", "type": ';
    const res = await post(url(), rawBody, signWebhook(webhookSecret(shipment.courier), rawBody));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  test('unknown tracking number (validly signed) → 404 and no event is recorded', async () => {
    const rawBody = event('picked_up', { trackingNumber: 'SF000000000000' });
    const res = await post(url(), rawBody, signWebhook(webhookSecret(shipment.courier), rawBody));
    expectProblem(res, 404, '/problems/not-found');
    expect(await stack.db.webhookEvent.count({ where: { eventId: JSON.parse(rawBody).eventId } })).toBe(0);
  });

  test('unknown courier in the path → 400/404 problem and nothing recorded', async () => {
    const rawBody = event('picked_up');
    const res = await post('/v1/webhooks/logistics/dhl', rawBody, signWebhook(webhookSecret('dhl'), rawBody));
    expect([400, 404]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (res.statusCode === 400) expectProblem(res, 400, '/problems/validation-error', ['courier']);
    expect(await stack.db.webhookEvent.count({ where: { eventId: JSON.parse(rawBody).eventId } })).toBe(0);
    expect(await observed(JSON.parse(rawBody).eventId)).toMatchObject({ shipmentStatus: 'booked', tracking: 0 });
  });

  test('a courier posting on another courier’s path with its own secret → 401', async () => {
    const rawBody = event('picked_up');
    const res = await post('/v1/webhooks/logistics/yto', rawBody, signWebhook(webhookSecret('sf-express'), rawBody));
    expectProblem(res, 401, '/problems/unauthorized');
  });

  test('valid → 200; the replayed eventId → 200 duplicate:true and no second tracking row', async () => {
    const rawBody = event('picked_up');
    const { eventId } = JSON.parse(rawBody);
    const secret = webhookSecret(shipment.courier);

    // Signed 200 s ago: inside the 5-minute tolerance.
    const res = await post(url(), rawBody, signWebhook(secret, rawBody, now() - 200));
    expect(expectOk(res)).toEqual({ received: true, duplicate: false });
    const moved = await waitForOrder(
      stack.app,
      order.id,
      (o) => o.shipments[0].status === 'picked_up' && o.shipments[0].tracking.length === 1,
    );
    expect(moved.shipments[0].tracking).toEqual([
      expect.objectContaining({ eventId, type: 'picked_up', location: 'Shanghai hub' }),
    ]);
    expect(await observed(eventId)).toMatchObject({ shipmentStatus: 'picked_up', tracking: 1, webhookRow: 1 });

    // The provider retries the same event (freshly signed).
    const replay = await post(url(), rawBody, signWebhook(secret, rawBody));
    expect(expectOk(replay)).toEqual({ received: true, duplicate: true });
    // A different event under an id already seen is ignored as well.
    const sameId = JSON.stringify({ ...JSON.parse(rawBody), type: 'in_transit' });
    const replay2 = await post(url(), sameId, signWebhook(secret, sameId));
    expect(expectOk(replay2)).toEqual({ received: true, duplicate: true });

    expect(await observed(eventId)).toMatchObject({
      shipmentStatus: 'picked_up',
      liveStatus: 'picked_up',
      tracking: 1,
      webhookRow: 1,
    });
    const after = await waitForOrder(stack.app, order.id, () => true);
    expect(after.shipments[0].tracking).toHaveLength(1);
  });
});

describe('logistics webhooks: who may report on a shipment', () => {
  test("another courier's validly signed event for this shipment's tracking number does not move it", async () => {
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    expectOk(res, 201);
    const order = await waitForOrder(
      stack.app,
      body.id,
      (o) => o.shipments.length === 1 && Boolean(o.shipments[0].trackingNumber),
    );
    const s = order.shipments[0];
    expect(s.courier).toBe('sf-express');
    const rawBody = JSON.stringify({
      eventId: randomUUID(),
      trackingNumber: s.trackingNumber,
      type: 'delivered',
      signedBy: 'nobody',
      occurredAt: new Date().toISOString(),
    });
    const answer = await post('/v1/webhooks/logistics/yto', rawBody, signWebhook(webhookSecret('yto'), rawBody));
    // Refused (4xx: not yto's parcel) or acknowledged and ignored; never applied.
    expect(answer.statusCode).toBeLessThan(500);
    if (answer.statusCode === 200) await signalsHandled(stack.client, await parcelHolder(stack.db, s.shipmentId));
    const view = await parcelNow(stack.client, stack.db, s.shipmentId);
    expect(view.status).toBe('booked');
    expect(await stack.db.trackingEvent.count({ where: { shipmentId: s.shipmentId } })).toBe(0);
  });

  test('the same event posted 3 times concurrently → all acknowledged, applied once', async () => {
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    expectOk(res, 201);
    const order = await waitForOrder(
      stack.app,
      body.id,
      (o) => o.shipments.length === 1 && Boolean(o.shipments[0].trackingNumber),
    );
    const s = order.shipments[0];
    const rawBody = JSON.stringify({
      eventId: randomUUID(),
      trackingNumber: s.trackingNumber,
      type: 'picked_up',
      location: 'Shanghai hub',
      occurredAt: new Date().toISOString(),
    });
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        post(`/v1/webhooks/logistics/${s.courier}`, rawBody, signWebhook(webhookSecret(s.courier), rawBody)),
      ),
    );
    for (const a of answers) expect(expectOk(a)).toMatchObject({ received: true });
    // The ledger moves just after the shipment's status (after the stock step), hence both conditions.
    const moved = await waitForOrder(
      stack.app,
      body.id,
      (o) =>
        o.shipments[0].status === 'picked_up' && o.shipments[0].tracking.length > 0 && o.lines[0].ledger.shipped > 0,
    );
    expect(moved.shipments[0].tracking).toHaveLength(1);
    expect(await stack.db.trackingEvent.count({ where: { shipmentId: s.shipmentId } })).toBe(1);
    expect(moved.lines[0].ledger).toMatchObject({ shipped: 1 });
    // The parcel is the order's own (lifecycle version 3): its row names the order the webhook signalled.
    expect(await stack.db.shipment.findUniqueOrThrow({ where: { id: s.shipmentId } })).toMatchObject({
      holderWorkflowId: `order-${body.id}`,
    });
  });
});

describe('payment webhooks', () => {
  let order: any;
  let paymentId: string;

  beforeAll(async () => {
    const { res, body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 2 }], paymentMethod: 'wechat_pay', card: undefined }),
    );
    expectOk(res, 201);
    order = await waitForStatus(stack.app, body.id, 'awaiting_payment');
    paymentId = order.payments[0].paymentId;
    expect(order.payments[0]).toMatchObject({ method: 'wechat_pay', status: 'pending', amount: 2000 });
  });

  const notification = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      eventId: `evt-${randomUUID()}`,
      type: 'payment.succeeded',
      paymentId,
      orderId: order.id,
      amount: 2000,
      currency: 'CNY',
      occurredAt: new Date().toISOString(),
      ...extra,
    });

  async function observed(eventId: string) {
    const payment = await stack.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    const live = await waitForOrder(stack.app, order.id, () => true);
    return {
      orderStatus: live.status,
      livePayment: live.payments[0].status,
      paymentRow: { status: payment.status, captured: payment.capturedAmount },
      webhookRow: await stack.db.webhookEvent.count({ where: { source: 'wechat_pay', eventId } }),
    };
  }

  test.each([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])('bad signature #%d → 401 and the order stays unpaid', async (i) => {
    const rawBody = notification();
    const altered = rawBody.replace('"amount":2000', '"amount":1');
    expect(altered).not.toBe(rawBody);
    const [what, sent, signature] = badSignatures(
      rawBody,
      webhookSecret('wechat_pay'),
      webhookSecret('alipay'),
      altered,
    )[i];
    const eventId = JSON.parse(rawBody).eventId;
    const before = await observed(eventId);
    expect(before).toEqual({
      orderStatus: 'awaiting_payment',
      livePayment: 'pending',
      paymentRow: { status: 'pending', captured: 0 },
      webhookRow: 0,
    });
    const res = await post('/v1/webhooks/payments/wechat_pay', sent, signature);
    expect({ what, status: res.statusCode }).toEqual({ what, status: 401 });
    expectProblem(res, 401, '/problems/unauthorized');
    expect(await observed(eventId)).toEqual(before);
  });

  test('unknown order (validly signed) → 404, nothing recorded', async () => {
    const rawBody = notification({ orderId: `ord_${randomUUID()}` });
    const res = await post(
      '/v1/webhooks/payments/wechat_pay',
      rawBody,
      signWebhook(webhookSecret('wechat_pay'), rawBody),
    );
    expectProblem(res, 404, '/problems/not-found');
    expect(await observed(JSON.parse(rawBody).eventId)).toMatchObject({
      orderStatus: 'awaiting_payment',
      webhookRow: 0,
    });
  });

  test('unknown provider in the path → 400/404 problem', async () => {
    const rawBody = notification();
    const res = await post('/v1/webhooks/payments/paypal', rawBody, signWebhook(webhookSecret('paypal'), rawBody));
    expect([400, 404]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (res.statusCode === 400) expectProblem(res, 400, '/problems/validation-error', ['provider']);
    expect(await observed(JSON.parse(rawBody).eventId)).toMatchObject({
      orderStatus: 'awaiting_payment',
      webhookRow: 0,
    });
  });

  test('a signed but invalid notification → 400 naming the fields', async () => {
    const rawBody = notification({ type: 'payment.maybe', amount: -5, currency: 'YUAN' });
    const res = await post(
      '/v1/webhooks/payments/wechat_pay',
      rawBody,
      signWebhook(webhookSecret('wechat_pay'), rawBody),
    );
    expectProblem(res, 400, '/problems/validation-error', ['type', 'amount', 'currency']);
    expect(await observed(JSON.parse(rawBody).eventId)).toMatchObject({
      orderStatus: 'awaiting_payment',
      webhookRow: 0,
    });
  });

  test('valid → 200 and the order is paid; the replay → duplicate:true, captured once', async () => {
    const rawBody = notification();
    const { eventId } = JSON.parse(rawBody);
    const res = await post(
      '/v1/webhooks/payments/wechat_pay',
      rawBody,
      signWebhook(webhookSecret('wechat_pay'), rawBody),
    );
    expect(expectOk(res)).toEqual({ received: true, duplicate: false });
    await waitForStatus(stack.app, order.id, 'fulfilling');
    // The timeline comes from the read model, written just after the live state changes.
    const paid = await waitForOrder(stack.app, order.id, (o) =>
      o.timeline.some((e: { type: string }) => e.type === 'merchant.accepted'),
    );
    expect(paid.payments).toEqual([
      expect.objectContaining({ paymentId, status: 'captured', captured: 2000, refunded: 0 }),
    ]);
    expect(paid.timeline.filter((e: { type: string }) => e.type === 'payment.captured')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ eventId }) }),
    ]);

    const replay = await post(
      '/v1/webhooks/payments/wechat_pay',
      rawBody,
      signWebhook(webhookSecret('wechat_pay'), rawBody),
    );
    expect(expectOk(replay)).toEqual({ received: true, duplicate: true });
    // Another notification for the same payment (new event id, e.g. the provider's second callback).
    const again = notification();
    expect(
      expectOk(await post('/v1/webhooks/payments/wechat_pay', again, signWebhook(webhookSecret('wechat_pay'), again))),
    ).toEqual({ received: true, duplicate: false });

    const payment = await stack.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    expect(payment).toMatchObject({ status: 'captured', capturedAmount: 2000, refundedAmount: 0 });
    expect(await stack.db.webhookEvent.count({ where: { source: 'wechat_pay', eventId } })).toBe(1);
    const after = await waitForOrder(stack.app, order.id, () => true);
    expect(after.timeline.filter((e: { type: string }) => e.type === 'payment.captured')).toHaveLength(1);
  });

  test("another provider's validly signed notification for this wallet payment does not mark it paid", async () => {
    const { res, body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], paymentMethod: 'wechat_pay', card: undefined }),
    );
    expectOk(res, 201);
    const waiting = await waitForStatus(stack.app, body.id, 'awaiting_payment');
    const pid = waiting.payments[0].paymentId;
    for (const provider of ['alipay', 'card']) {
      const rawBody = JSON.stringify({
        eventId: `evt-${randomUUID()}`,
        type: 'payment.succeeded',
        paymentId: pid,
        orderId: body.id,
        amount: 1000,
        currency: 'CNY',
        occurredAt: new Date().toISOString(),
      });
      const answer = await post(
        `/v1/webhooks/payments/${provider}`,
        rawBody,
        signWebhook(webhookSecret(provider), rawBody),
      );
      // Refused (4xx) or acknowledged and ignored (200); never an error.
      expect(answer.statusCode).toBeLessThan(500);
      if (answer.statusCode === 200) await signalsHandled(stack.client, `order-${body.id}`);
      const now = await waitForOrder(stack.app, body.id, () => true);
      expect({ provider, status: now.status, payment: now.payments[0].status }).toEqual({
        provider,
        status: 'awaiting_payment',
        payment: 'pending',
      });
    }
    const row = await stack.db.payment.findUniqueOrThrow({ where: { id: pid } });
    expect(row).toMatchObject({ method: 'wechat_pay', status: 'pending', capturedAmount: 0 });

    // WeChat Pay's own notification still pays it.
    const rawBody = JSON.stringify({
      eventId: `evt-${randomUUID()}`,
      type: 'payment.succeeded',
      paymentId: pid,
      orderId: body.id,
      amount: 1000,
      currency: 'CNY',
      occurredAt: new Date().toISOString(),
    });
    expect(
      expectOk(
        await post('/v1/webhooks/payments/wechat_pay', rawBody, signWebhook(webhookSecret('wechat_pay'), rawBody)),
      ),
    ).toEqual({ received: true, duplicate: false });
    await waitForStatus(stack.app, body.id, 'fulfilling');
  });
});

describe('payment webhooks: checked against our books (issue 11)', () => {
  async function awaitingWallet() {
    const { res, body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 1 }], paymentMethod: 'wechat_pay', card: undefined }),
    );
    expectOk(res, 201);
    const waiting = await waitForStatus(stack.app, body.id, 'awaiting_payment');
    return { orderId: body.id as string, paymentId: waiting.payments[0].paymentId as string };
  }
  const succeeded = (o: { orderId: string; paymentId: string }, eventId: string, extra: Record<string, unknown>) =>
    JSON.stringify({
      eventId,
      type: 'payment.succeeded',
      paymentId: o.paymentId,
      orderId: o.orderId,
      amount: 1000,
      currency: 'CNY',
      occurredAt: new Date().toISOString(),
      ...extra,
    });
  const postSigned = (rawBody: string) =>
    post('/v1/webhooks/payments/wechat_pay', rawBody, signWebhook(webhookSecret('wechat_pay'), rawBody));

  test.each([
    ['amount 1', { amount: 1 }, ['amount']],
    ['amount 0', { amount: 0 }, ['amount']],
    ['currency USD', { currency: 'USD' }, ['currency']],
    ['both', { amount: 1, currency: 'USD' }, ['amount', 'currency']],
  ])(
    '%s → 422 naming the field, the order flagged with both values, the event not recorded; the corrected redelivery pays',
    async (_what, extra, fields) => {
      const o = await awaitingWallet();
      const eventId = `evt-${randomUUID()}`;
      const res = await postSigned(succeeded(o, eventId, extra));
      const problem = expectProblem(res, 422, '/problems/unprocessable', fields);
      expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
      expect(await stack.db.webhookEvent.count({ where: { source: 'wechat_pay', eventId } })).toBe(0);

      const flagged = await waitForOrder(stack.app, o.orderId, () => true);
      expect(flagged.status).toBe('awaiting_payment');
      const flag = flagged.flags.find((f: { kind: string }) => f.kind === 'payment_mismatch');
      expect(flag).toMatchObject({
        kind: 'payment_mismatch',
        detail: { eventId, paymentId: o.paymentId, provider: 'wechat_pay' },
      });
      if ('amount' in extra) expect(flag.detail.amount).toEqual({ expected: 1000, notified: extra.amount });
      if ('currency' in extra) expect(flag.detail.currency).toEqual({ expected: 'CNY', notified: 'USD' });
      const list = expectOk(
        await stack.app.inject({
          method: 'GET',
          url: `/v1/orders?flagged=true&customerId=${flagged.customerId}`,
          headers: { authorization: `Bearer ${KEYS.support}` },
        }),
      );
      expect(list.items.map((i: { id: string }) => i.id)).toContain(o.orderId);
      expect(list.items.find((i: { id: string }) => i.id === o.orderId).flags).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: 'payment_mismatch' })]),
      );

      // The provider corrects itself under the same event id: heard, and the order is paid.
      expect(expectOk(await postSigned(succeeded(o, eventId, {})))).toEqual({ received: true, duplicate: false });
      await waitForStatus(stack.app, o.orderId, 'fulfilling');
    },
  );
});
