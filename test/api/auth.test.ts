// docs/api.md, auth: Bearer keys with one role each (401 without or with an unknown key, 403 for the
// wrong role); a merchant sees only its own orders; health and the OpenAPI document are public.
import { randomUUID } from 'node:crypto';
import { auth, KEYS, orderBody, submitOrder, waitForStatus, useStack } from '../helpers/stack';
import { eventually, expectOk, expectProblem, listOrders, send } from './api-helpers';

const stack = useStack();

/** One m-demo order (auto-accepted, so it reaches fulfilling), shared by the isolation tests. */
let demoOrder: { id: string; customerId: string };
beforeAll(async () => {
  const body = orderBody();
  const { res, body: order } = await submitOrder(stack.app, body);
  expectOk(res, 201);
  demoOrder = { id: order.id, customerId: body.customer.id };
  await waitForStatus(stack.app, order.id, 'fulfilling');
  // The list reads the read model: wait until the row is there.
  await eventually(
    () => listOrders(stack.app, { customerId: demoOrder.customerId }),
    (r) => r.body.items?.length === 1,
    'order row',
  );
});

describe('401 without a valid key', () => {
  const requests = () => [
    { method: 'GET' as const, url: '/v1/orders' },
    { method: 'GET' as const, url: `/v1/orders/${demoOrder.id}` },
    { method: 'POST' as const, url: '/v1/orders', payload: orderBody() },
    { method: 'POST' as const, url: `/v1/orders/${demoOrder.id}/cancel`, payload: { reason: 'x' } },
    { method: 'POST' as const, url: '/v1/products', payload: { sku: 'SKU-X', name: 'x', priceAmount: 1 } },
    { method: 'GET' as const, url: '/v1/inventory/SKU-TEA-001' },
  ];

  test.each([
    ['no Authorization header', undefined],
    ['an unknown key', 'Bearer not-a-real-key'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', `Basic ${Buffer.from('dev-platform-key:').toString('base64')}`],
    ['the raw key without Bearer', KEYS.platform],
    ['a known key with a suffix', `Bearer ${KEYS.platform}x`],
  ])('%s → 401 problem', async (_what, header) => {
    for (const r of requests()) {
      const res = await send(stack.app, r.method, r.url, undefined, r.payload, {
        ...(header !== undefined ? { authorization: header } : {}),
        'idempotency-key': randomUUID(),
      });
      expectProblem(res, 401, '/problems/unauthorized');
    }
  });

  test('a refused submission records nothing', async () => {
    const body = orderBody();
    const key = randomUUID();
    const res = await send(stack.app, 'POST', '/v1/orders', undefined, body, {
      authorization: 'Bearer wrong-key-123',
      'idempotency-key': key,
    });
    expectProblem(res, 401, '/problems/unauthorized');
    expect(await stack.db.idempotencyRecord.count({ where: { key } })).toBe(0);
    expect(await stack.db.customer.count({ where: { id: body.customer.id } })).toBe(0);
  });

  test('the bearer scheme name is case-insensitive (RFC 9110)', async () => {
    const res = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/${demoOrder.id}`,
      headers: { authorization: `bearer ${KEYS.platform}` },
    });
    expectOk(res);
  });
});

describe('403 for the wrong role', () => {
  test('merchant key on POST /v1/orders → 403, nothing recorded', async () => {
    const body = orderBody();
    const key = randomUUID();
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.merchant, body, { 'idempotency-key': key });
    const problem = expectProblem(res, 403, '/problems/forbidden');
    expect(problem.title).toBe('Forbidden');
    expect(await stack.db.idempotencyRecord.count({ where: { key } })).toBe(0);
    expect(await stack.db.customer.count({ where: { id: body.customer.id } })).toBe(0);
  });

  test.each([
    ['support', 'POST', '/v1/orders', KEYS.support],
    ['logistics', 'POST', '/v1/orders', KEYS.logistics],
    ['platform', 'POST', '/v1/orders/:id/merchant-decision', KEYS.platform],
    ['support', 'POST', '/v1/orders/:id/merchant-decision', KEYS.support],
    ['logistics', 'GET', '/v1/orders/:id', KEYS.logistics],
    ['logistics', 'GET', '/v1/orders', KEYS.logistics],
    ['merchant', 'POST', '/v1/orders/:id/cancel', KEYS.merchant],
    ['logistics', 'POST', '/v1/orders/:id/cancel', KEYS.logistics],
    ['merchant', 'POST', '/v1/orders/:id/confirm-receipt', KEYS.merchant],
    ['support', 'POST', '/v1/orders/:id/extend-receipt', KEYS.support],
    ['platform', 'POST', '/v1/products', KEYS.platform],
    ['support', 'POST', '/v1/products', KEYS.support],
    ['platform', 'PUT', '/v1/inventory/SKU-TEA-001', KEYS.platform],
    ['support', 'POST', '/v1/inventory/SKU-TEA-001/restock', KEYS.support],
    ['platform', 'GET', '/v1/inventory/SKU-TEA-001', KEYS.platform],
  ] as const)('%s key on %s %s → 403', async (_role, method, path, key) => {
    const url = path.replace(':id', demoOrder.id);
    const payload =
      method === 'GET'
        ? undefined
        : url.endsWith('merchant-decision')
          ? { decision: 'reject', reason: 'no' }
          : url.endsWith('/cancel')
            ? { reason: 'no' }
            : url === '/v1/orders'
              ? orderBody()
              : {
                  sku: 'SKU-TEA-001',
                  name: 'hijack',
                  priceAmount: 1,
                  warehouseId: 'wh-shanghai',
                  onHand: 0,
                  quantity: 1,
                };
    const res = await send(stack.app, method, url, key, payload, { 'idempotency-key': randomUUID() });
    expectProblem(res, 403, '/problems/forbidden');
  });

  test('the refused calls changed nothing: the order still runs, the demo product and stock are intact', async () => {
    const order = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/${demoOrder.id}`,
      headers: auth(KEYS.support),
    });
    expect(expectOk(order)).toMatchObject({ status: 'fulfilling', cancellation: null, rejection: null });
    const product = await stack.db.product.findUniqueOrThrow({ where: { sku: 'SKU-TEA-001' } });
    expect(product).toMatchObject({ merchantId: 'm-demo', priceAmount: 8800 });
    expect(await stack.db.inventory.count({ where: { sku: 'SKU-TEA-001', onHand: 0 } })).toBe(0);
  });
});

describe('merchant isolation', () => {
  test('the owning merchant sees its order; another merchant gets 404, not 403', async () => {
    const own = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/${demoOrder.id}`,
      headers: auth(KEYS.merchant),
    });
    expect(expectOk(own)).toMatchObject({ id: demoOrder.id, merchantId: 'm-demo' });

    const other = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/${demoOrder.id}`,
      headers: auth(KEYS.manualMerchant),
    });
    expectProblem(other, 404, '/problems/not-found');
  });

  test("another merchant's list excludes the order; the owner's includes it", async () => {
    const other = await listOrders(stack.app, { customerId: demoOrder.customerId }, KEYS.manualMerchant);
    expect(expectOk(other.res)).toEqual({ items: [], nextCursor: null });

    const own = await listOrders(stack.app, { customerId: demoOrder.customerId }, KEYS.merchant);
    expect(expectOk(own.res).items.map((o: { id: string }) => o.id)).toEqual([demoOrder.id]);

    // m-manual's unfiltered list holds only m-manual orders.
    const all = await listOrders(stack.app, { limit: 200 }, KEYS.manualMerchant);
    for (const o of expectOk(all.res).items) expect(o.merchantId).toBe('m-manual');
  });

  test('a merchant asking for another merchant id → 403; for its own → 200', async () => {
    const res = await listOrders(stack.app, { merchantId: 'm-demo' }, KEYS.manualMerchant);
    expectProblem(res.res, 403, '/problems/forbidden');
    const ownRes = await listOrders(
      stack.app,
      { merchantId: 'm-demo', customerId: demoOrder.customerId },
      KEYS.merchant,
    );
    expect(expectOk(ownRes.res).items).toHaveLength(1);
  });

  test("another merchant's decision on the order → 404, and the order is untouched", async () => {
    const res = await send(stack.app, 'POST', `/v1/orders/${demoOrder.id}/merchant-decision`, KEYS.manualMerchant, {
      decision: 'reject',
      reason: 'not mine',
    });
    expectProblem(res, 404, '/problems/not-found');
    const order = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/${demoOrder.id}`,
      headers: auth(KEYS.support),
    });
    expect(expectOk(order)).toMatchObject({ status: 'fulfilling', rejection: null });
  });

  test('platform and support keys see every merchant', async () => {
    for (const key of [KEYS.platform, KEYS.support]) {
      const res = await stack.app.inject({ method: 'GET', url: `/v1/orders/${demoOrder.id}`, headers: auth(key) });
      expect(expectOk(res).id).toBe(demoOrder.id);
    }
  });
});

describe('public endpoints', () => {
  test('/healthz needs no key', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/healthz' });
    expect(expectOk(res)).toEqual({ status: 'ok' });
  });

  test('/readyz needs no key and reports DB and Temporal', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/readyz' });
    expect(expectOk(res)).toEqual({ status: 'ready', database: 'ok', temporal: 'ok' });
  });

  test('/metrics needs no key and times the routes of every resource plugin', async () => {
    await stack.app.inject({
      method: 'GET',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${KEYS.platform}` },
    });
    const res = await stack.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /orders_api_http_request_duration_seconds_count\{method="GET",route="\/v1\/orders",status="200"\}/,
    );
  });

  describe('/openapi.json', () => {
    let doc: any;
    beforeAll(async () => {
      const res = await stack.app.inject({ method: 'GET', url: '/openapi.json' });
      doc = expectOk(res);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    });

    test('is an OpenAPI 3 document with bearer security', () => {
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });

    test.each([
      ['/v1/orders', 'post'],
      ['/v1/orders', 'get'],
      ['/v1/orders/{id}', 'get'],
      ['/v1/orders/{id}/cancel', 'post'],
      ['/v1/orders/{id}/confirm-receipt', 'post'],
      ['/v1/orders/{id}/extend-receipt', 'post'],
      ['/v1/orders/{id}/merchant-decision', 'post'],
      ['/v1/products', 'post'],
      ['/v1/inventory/{sku}', 'put'],
      ['/v1/inventory/{sku}', 'get'],
      ['/v1/inventory/{sku}/restock', 'post'],
      ['/v1/webhooks/payments/{provider}', 'post'],
      ['/v1/webhooks/logistics/{courier}', 'post'],
    ])('documents %s %s', (path, method) => {
      expect(doc.paths[path]?.[method]).toBeDefined();
      expect(typeof doc.paths[path][method].summary).toBe('string');
    });

    test('keyed routes declare bearer security; webhooks do not', () => {
      expect(doc.paths['/v1/orders'].post.security).toEqual([{ bearer: [] }]);
      expect(doc.paths['/v1/webhooks/logistics/{courier}'].post.security).toBeUndefined();
    });

    test('POST /v1/orders documents its body and the list its query parameters', () => {
      const schema = doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema;
      expect(schema.required).toEqual(
        expect.arrayContaining(['channel', 'customer', 'shippingAddress', 'lines', 'paymentMethod']),
      );
      const params = doc.paths['/v1/orders'].get.parameters.map((p: { name: string }) => p.name);
      expect(params).toEqual(
        expect.arrayContaining(['status', 'customerId', 'merchantId', 'channel', 'from', 'to', 'limit', 'cursor']),
      );
    });

    test('the webhooks document their events; refund.* events name the refund (refundId, a contract addition)', () => {
      const schema = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
      const payment = schema('/v1/webhooks/payments/{provider}');
      expect(payment.required).toEqual(
        expect.arrayContaining(['eventId', 'type', 'paymentId', 'orderId', 'amount', 'currency', 'occurredAt']),
      );
      expect(payment.properties.type.enum).toEqual([
        'payment.succeeded',
        'payment.failed',
        'refund.succeeded',
        'refund.failed',
      ]);
      expect(payment.properties.refundId).toMatchObject({
        type: 'string',
        description: expect.stringMatching(/required for refund/),
      });
      expect(schema('/v1/webhooks/logistics/{courier}').required).toEqual(
        expect.arrayContaining(['eventId', 'trackingNumber', 'type']),
      );
    });

    test('the required Idempotency-Key and X-Signature headers are documented as required', () => {
      const header = (path: string, name: string) =>
        doc.paths[path].post.parameters.find(
          (p: { in: string; name: string }) => p.in === 'header' && p.name.toLowerCase() === name.toLowerCase(),
        );
      expect(header('/v1/orders', 'Idempotency-Key')).toMatchObject({ required: true });
      expect(header('/v1/webhooks/logistics/{courier}', 'X-Signature')).toMatchObject({ required: true });
      expect(header('/v1/webhooks/payments/{provider}', 'X-Signature')).toMatchObject({ required: true });
    });
  });
});
