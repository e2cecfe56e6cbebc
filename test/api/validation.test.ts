// docs/api.md, errors: zod validates every request; errors are application/problem+json with a
// stable type and per-field errors; a refused request changes nothing.
import { randomUUID } from 'node:crypto';
import { auth, KEYS, orderBody, submitOrder, useStack } from '../helpers/stack';
import { createProduct, expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack();

/** What a refused submission must leave untouched: no idempotency record, no order, same stock. */
async function snapshot(customerId: string, key: string, sku?: string) {
  const { db } = stack;
  return {
    idempotencyRecords: await db.idempotencyRecord.count({ where: { key } }),
    orders: await db.order.count({ where: { customerId } }),
    customers: await db.customer.count({ where: { id: customerId } }),
    inventory: sku
      ? await db.inventory.findMany({
          where: { sku },
          orderBy: { warehouseId: 'asc' },
          select: { warehouseId: true, onHand: true, reserved: true, allocated: true },
        })
      : [],
  };
}

/** Posts a refused order and checks that nothing was recorded for its key and customer. */
async function refused(
  payload: Record<string, unknown> | string,
  status: number,
  type: string,
  fields?: string[],
  sku?: string,
) {
  const key = randomUUID();
  const customerId =
    typeof payload === 'string' ? 'nobody' : ((payload.customer as { id?: string } | undefined)?.id ?? 'nobody');
  const before = await snapshot(customerId, key, sku);
  const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, payload, { 'idempotency-key': key });
  const problem = expectProblem(res, status, type, fields);
  expect(await snapshot(customerId, key, sku)).toEqual(before);
  expect(before.idempotencyRecords).toBe(0);
  return problem;
}

describe('POST /v1/orders body validation', () => {
  test('malformed JSON is a 400 problem, not a crash', async () => {
    const problem = await refused('{"channel": "web", "lines": [', 400, '/problems/malformed-json');
    expect(problem.title).toBe('Bad Request');
    expect(problem.instance).toBe('/v1/orders');
  });

  test('an empty object names every missing top-level field', async () => {
    const problem = await refused({}, 400, '/problems/validation-error', [
      'channel',
      'customer',
      'shippingAddress',
      'lines',
      'paymentMethod',
    ]);
    expect(problem.errors.length).toBeGreaterThanOrEqual(5);
  });

  test('an empty body (content-type json, no bytes) is the same as {}', async () => {
    await refused('', 400, '/problems/validation-error', [
      'channel',
      'customer',
      'shippingAddress',
      'lines',
      'paymentMethod',
    ]);
  });

  test('a body that is not sent as JSON (text/plain) is refused as a problem and changes nothing', async () => {
    const key = randomUUID();
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, JSON.stringify(orderBody()), {
      'idempotency-key': key,
      'content-type': 'text/plain',
    });
    // 415 (unsupported media type) or 400 (the text is not an order object): either way a problem.
    expect([400, 415]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await stack.db.idempotencyRecord.count({ where: { key } })).toBe(0);
  });

  test('a JSON array instead of an object is refused', async () => {
    await refused('[]', 400, '/problems/validation-error');
  });

  test.each([
    ['customer', (b: Record<string, any>) => delete b.customer, ['customer']],
    ['lines', (b: Record<string, any>) => delete b.lines, ['lines']],
    ['shippingAddress', (b: Record<string, any>) => delete b.shippingAddress, ['shippingAddress']],
    ['channel', (b: Record<string, any>) => delete b.channel, ['channel']],
    ['paymentMethod', (b: Record<string, any>) => delete b.paymentMethod, ['paymentMethod']],
  ])('missing %s → 400 naming it', async (_name, mutate, fields) => {
    const body = orderBody();
    mutate(body);
    const problem = await refused(body, 400, '/problems/validation-error', fields as string[]);
    // Only the missing field is blamed: the rest of the body is valid.
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(fields);
  });

  test('nested fields are named with their path (customer.*, shippingAddress.*)', async () => {
    const body = orderBody();
    body.customer = { id: body.customer.id } as typeof body.customer;
    body.shippingAddress = { ...body.shippingAddress, postalCode: '12345', phone: 'call me' };
    const problem = await refused(body, 400, '/problems/validation-error', [
      'customer.name',
      'customer.phone',
      'shippingAddress.postalCode',
      'shippingAddress.phone',
    ]);
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'customer.name',
      'customer.phone',
      'shippingAddress.phone',
      'shippingAddress.postalCode',
    ]);
  });

  test('an empty lines array is refused naming lines', async () => {
    await refused(orderBody({ lines: [] }), 400, '/problems/validation-error', ['lines']);
  });

  test.each([0, -1, 100, 1.5])('quantity %p → 400 naming lines.0.quantity', async (quantity) => {
    const problem = await refused(
      orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity }] }),
      400,
      '/problems/validation-error',
      ['lines.0.quantity'],
    );
    expect(problem.errors).toHaveLength(1);
  });

  test('a quantity given as a string is refused (no coercion of body numbers)', async () => {
    await refused(orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity: '2' }] }), 400, '/problems/validation-error', [
      'lines.0.quantity',
    ]);
  });

  test('the second line is named by its index', async () => {
    await refused(
      orderBody({
        lines: [
          { sku: 'SKU-TEA-001', quantity: 1 },
          { sku: 'SKU-TEA-002', quantity: 0 },
        ],
      }),
      400,
      '/problems/validation-error',
      ['lines.1.quantity'],
    );
  });

  test('the same sku twice is refused naming the duplicate line', async () => {
    await refused(
      orderBody({
        lines: [
          { sku: 'SKU-TEA-001', quantity: 1 },
          { sku: 'SKU-TEA-001', quantity: 2 },
        ],
      }),
      400,
      '/problems/validation-error',
      ['lines.1.sku'],
    );
  });

  test('card payment without card → 400 naming card', async () => {
    const body = orderBody();
    delete (body as Record<string, unknown>).card;
    const problem = await refused(body, 400, '/problems/validation-error', ['card']);
    expect(problem.errors).toHaveLength(1);
  });

  test('an unknown payment method is named', async () => {
    await refused(orderBody({ paymentMethod: 'bitcoin' }), 400, '/problems/validation-error', ['paymentMethod']);
  });

  test('an unknown policy override is refused (strict policy object)', async () => {
    await refused(orderBody({ policy: { paymentWindowSeconds: 60, bogus: true } }), 400, '/problems/validation-error');
  });
});

describe('POST /v1/orders catalog checks (422)', () => {
  test('unknown SKU → 422 naming lines.<i>.sku; the known line reserves nothing', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 10 } });
    const unknown = `NO-SUCH-${randomUUID()}`;
    const problem = await refused(
      orderBody({
        paymentMethod: 'cod',
        card: undefined,
        lines: [
          { sku, quantity: 1 },
          { sku: unknown, quantity: 1 },
        ],
      }),
      422,
      '/problems/unprocessable',
      ['lines.1.sku'],
      sku,
    );
    expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(['lines.1.sku']);
    expect(problem.title).toBe('Unprocessable Content');
  });

  test('inactive SKU (created inactive through POST /v1/products) → 422 naming it', async () => {
    const sku = await createProduct(stack.app, { active: false, stock: { 'wh-shanghai': 10 } });
    const product = await stack.db.product.findUniqueOrThrow({ where: { sku } });
    expect(product.active).toBe(false);
    await refused(orderBody({ lines: [{ sku, quantity: 1 }] }), 422, '/problems/unprocessable', ['lines.0.sku'], sku);
  });

  test('lines of two merchants in one order → 422', async () => {
    await refused(
      orderBody({
        lines: [
          { sku: 'SKU-TEA-001', quantity: 1 },
          { sku: 'SKU-HAND-001', quantity: 1 },
        ],
      }),
      422,
      '/problems/unprocessable',
      ['lines.1.sku'],
    );
  });

  test('the same body with a known active SKU is accepted (the checks above are not over-eager)', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 10 } });
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 1 }] }));
    expectOk(res, 201);
    expect(body.lines[0]).toMatchObject({ sku, quantity: 1, unitPrice: 1000 });
  });
});

describe('unknown orders', () => {
  test('GET an unknown order → 404 problem', async () => {
    const res = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders/ord_${randomUUID()}`,
      headers: auth(KEYS.platform),
    });
    const problem = expectProblem(res, 404, '/problems/not-found');
    expect(problem.title).toBe('Not Found');
  });

  test('cancel an unknown order → 404 problem', async () => {
    const res = await send(stack.app, 'POST', `/v1/orders/ord_${randomUUID()}/cancel`, KEYS.platform, {
      reason: 'changed my mind',
    });
    expectProblem(res, 404, '/problems/not-found');
  });

  test('confirm-receipt of an unknown order → 404 problem', async () => {
    const res = await send(stack.app, 'POST', `/v1/orders/ord_${randomUUID()}/confirm-receipt`, KEYS.platform);
    expectProblem(res, 404, '/problems/not-found');
  });

  test('merchant-decision on an unknown order → 404 problem', async () => {
    const res = await send(stack.app, 'POST', `/v1/orders/ord_${randomUUID()}/merchant-decision`, KEYS.merchant, {
      decision: 'accept',
    });
    expectProblem(res, 404, '/problems/not-found');
  });

  test('an unknown route is a 404 problem too', async () => {
    const res = await stack.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: auth(KEYS.platform) });
    expectProblem(res, 404, '/problems/not-found');
  });
});

describe('GET /v1/orders query validation', () => {
  test.each([
    ['limit=0', ['limit']],
    ['limit=201', ['limit']],
    ['limit=abc', ['limit']],
    ['limit=1.5', ['limit']],
    ['status=bogus', ['status']],
    ['from=yesterday', ['from']],
    ['to=2024-13-45', ['to']],
    ['cursor=not-a-cursor', ['cursor']],
    ['status=bogus&limit=0', ['status', 'limit']],
  ])('%s → 400 naming %p', async (qs, fields) => {
    const res = await stack.app.inject({ method: 'GET', url: `/v1/orders?${qs}`, headers: auth(KEYS.support) });
    expectProblem(res, 400, '/problems/validation-error', fields);
  });

  test('a valid query is accepted', async () => {
    const res = await stack.app.inject({
      method: 'GET',
      url: `/v1/orders?limit=1&status=submitted&customerId=${uid('c')}`,
      headers: auth(KEYS.support),
    });
    expect(expectOk(res)).toEqual({ items: [], nextCursor: null });
  });
});

describe('input rules at the edge (issue 11): text, integer ranges, cursors → 400 naming the field, nothing written', () => {
  const get = (url: string, key: string = KEYS.support) => stack.app.inject({ method: 'GET', url, headers: auth(key) });

  test.each([
    ['/v1/orders?customerId=%00', 'customerId'],
    ['/v1/orders?merchantId=m%00&channel=web', 'merchantId'],
    ['/v1/orders/ord_%00x', 'id'],
    ['/v1/inventory/SKU%00X', 'sku'],
    ['/v1/after-sales?orderId=%00', 'orderId'],
    ['/v1/ops/audit?operation=%00', 'operation'],
    ['/v1/ops/audit?cursor=9999999999999999999', 'cursor'],
    [`/v1/orders?cursor=${Buffer.from('2020-01-01T00:00:00.000Z|\u0000').toString('base64url')}`, 'cursor'],
    [`/v1/orders?cursor=${Buffer.from('+275760-09-13T00:00:00.000Z|ord_x').toString('base64url')}`, 'cursor'],
  ])('GET %s → 400 naming %s', async (url, field) => {
    expectProblem(await get(url), 400, '/problems/validation-error', [field]);
  });

  test.each([
    [
      'a NUL in customer.name',
      (b: any) => ({ ...b, customer: { ...b.customer, name: 'Zhang\u0000' } }),
      'customer.name',
    ],
    [
      'a NUL in shippingAddress.line1',
      (b: any) => ({ ...b, shippingAddress: { ...b.shippingAddress, line1: '\u0000' } }),
      'shippingAddress.line1',
    ],
    ['a NUL in a SKU', (b: any) => ({ ...b, lines: [{ sku: 'SKU-TEA-001\u0000', quantity: 1 }] }), 'lines.0.sku'],
    ['a NUL in the note', (b: any) => ({ ...b, note: 'a\u0000b' }), 'note'],
    ['a lone surrogate in the note', (b: any) => ({ ...b, note: 'x\ud800y' }), 'note'],
    [
      'a lone low surrogate in customer.email',
      (b: any) => ({ ...b, customer: { ...b.customer, email: '\udc00@example.com' } }),
      'customer.email',
    ],
  ])('POST /v1/orders with %s → 400 naming it; nothing written', async (_what, change, field) => {
    const body = change(orderBody());
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a client would send it.
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, JSON.stringify(body), {
      'idempotency-key': randomUUID(),
    });
    expectProblem(res, 400, '/problems/validation-error', [field]);
    expect(await stack.db.customer.count({ where: { id: body.customer.id } })).toBe(0);
  });

  test('a well-formed pair (an emoji) is text like any other', async () => {
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, orderBody({ note: 'thanks 🙏' }), {
      'idempotency-key': randomUUID(),
    });
    expectOk(res, 201);
  });

  test('PUT /v1/inventory/{sku} onHand 2147483648 → 400 naming onHand; stock unchanged', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 3 } });
    expectProblem(
      await send(stack.app, 'PUT', `/v1/inventory/${sku}`, KEYS.merchant, {
        warehouseId: 'wh-shanghai',
        onHand: 2147483648,
      }),
      400,
      '/problems/validation-error',
      ['onHand'],
    );
    expect((await stack.db.inventory.findFirstOrThrow({ where: { sku, warehouseId: 'wh-shanghai' } })).onHand).toBe(3);
  });

  test('a restock past the column range → 400 naming quantity; stock unchanged', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 2147483000 } });
    expectProblem(
      await send(stack.app, 'POST', `/v1/inventory/${sku}/restock`, KEYS.merchant, {
        warehouseId: 'wh-shanghai',
        quantity: 1000,
      }),
      400,
      '/problems/validation-error',
      ['quantity'],
    );
    expect((await stack.db.inventory.findFirstOrThrow({ where: { sku, warehouseId: 'wh-shanghai' } })).onHand).toBe(
      2147483000,
    );
  });

  test('POST /v1/products priceAmount 1e12 → 400 naming priceAmount; no product', async () => {
    const sku = uid('SKU-BIG').toUpperCase();
    expectProblem(
      await send(stack.app, 'POST', '/v1/products', KEYS.merchant, { sku, name: 'big', priceAmount: 1e12 }),
      400,
      '/problems/validation-error',
      ['priceAmount'],
    );
    expect(await stack.db.product.count({ where: { sku } })).toBe(0);
  });
});

describe('smaller edge rules (issue 11)', () => {
  test.each(['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'ftp://example.com/x.jpg'])(
    'evidenceUrls %s → 400 naming evidenceUrls.0',
    async (url) => {
      const res = await send(stack.app, 'POST', '/v1/orders/ord_any/after-sales', KEYS.platform, {
        type: 'return',
        reason: 'defective',
        lines: [{ sku: 'SKU-TEA-001', quantity: 1 }],
        evidenceUrls: [url],
      });
      expectProblem(res, 400, '/problems/validation-error', ['evidenceUrls.0']);
    },
  );

  test('an https evidence URL passes validation (the unknown order is then 404)', async () => {
    const res = await send(stack.app, 'POST', '/v1/orders/ord_missing_x/after-sales', KEYS.platform, {
      type: 'return',
      reason: 'defective',
      lines: [{ sku: 'SKU-TEA-001', quantity: 1 }],
      evidenceUrls: ['https://img.example.com/a.jpg'],
    });
    expectProblem(res, 404, '/problems/not-found');
  });

  test.each([
    ['DELETE', '/v1/orders/ord_x', ['GET']],
    ['PUT', '/v1/orders', ['GET', 'POST']],
    ['PATCH', '/v1/inventory/SKU-TEA-001', ['GET', 'PUT']],
    ['GET', '/v1/orders/ord_x/cancel', ['POST']],
  ] as const)('%s %s (a known path, an undeclared method) → 405 with Allow', async (method, url, allowed) => {
    const res = await stack.app.inject({ method, url, headers: auth(KEYS.support) });
    expectProblem(res, 405, '/problems/method-not-allowed');
    for (const m of allowed) expect(String(res.headers.allow)).toContain(m);
  });

  test('an unknown path is still 404', async () => {
    expectProblem(
      await stack.app.inject({ method: 'DELETE', url: '/v1/nothing-here', headers: auth(KEYS.support) }),
      404,
      '/problems/not-found',
    );
  });
});
