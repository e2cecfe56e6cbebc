// docs/api.md, "Idempotency" (issue 11): every mutating operation of /openapi.json declares how it honours
// Idempotency-Key, and does: same key and request → the first answer again; same key, another request → 409;
// a required key missing → 400. Generated from the OpenAPI document: a new POST/PUT/PATCH/DELETE
// without an example below fails the test. A retried support refund and a retried restock move money
// and stock once.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterSalesHelpers } from '../helpers/after-sales';
import { auth, KEYS, orderBody, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { createProduct, expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack();
const MUTATING = ['post', 'put', 'patch', 'delete'];
const ROLE_KEYS: Record<string, string> = { platform: KEYS.platform, merchant: KEYS.merchant, support: KEYS.support };

interface Operation {
  method: string;
  path: string;
  via?: string;
  roles: unknown;
  header?: { required?: boolean };
}

/** A request the operation validates (so the key is read), and another one (for the 409), per operation. */
const missing = 'idem-missing-1';
const EXAMPLES: Record<string, { a?: unknown; b?: unknown }> = {
  'POST /v1/orders/{id}/cancel': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/orders/{id}/confirm-receipt': {},
  'POST /v1/orders/{id}/extend-receipt': {},
  'POST /v1/orders/{id}/stock-decision': { a: { decision: 'cancel' }, b: { decision: 'partial' } },
  'POST /v1/orders/{id}/verification': { a: { result: 'passed' }, b: { result: 'failed' } },
  'POST /v1/orders/{id}/merchant-decision': { a: { decision: 'accept' }, b: { decision: 'reject', reason: 'no' } },
  'POST /v1/orders/{id}/shipments': { a: { courier: 'sf-express' }, b: { courier: 'yto' } },
  'POST /v1/products': { a: { sku: '', name: 'A', priceAmount: 100 }, b: { sku: '', name: 'B', priceAmount: 100 } },
  'PUT /v1/inventory/{sku}': {
    a: { warehouseId: 'wh-shanghai', onHand: 1 },
    b: { warehouseId: 'wh-shanghai', onHand: 2 },
  },
  'POST /v1/inventory/{sku}/restock': {
    a: { warehouseId: 'wh-shanghai', quantity: 1 },
    b: { warehouseId: 'wh-shanghai', quantity: 2 },
  },
  'POST /v1/after-sales/{id}/decision': { a: { decision: 'approve' }, b: { decision: 'reject', reason: 'no' } },
  'POST /v1/after-sales/{id}/inspection': {
    a: { lines: [{ sku: 'X', condition: 'ok' }] },
    b: { lines: [{ sku: 'X', condition: 'damaged' }] },
  },
  'POST /v1/after-sales/{id}/stock-decision': { a: { decision: 'cancel' }, b: { decision: 'partial' } },
  'POST /v1/ops/orders/{id}/retry': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/ops/notifications/{id}/resend': { a: { reason: 'a' }, b: { reason: 'b' } },
  'PUT /v1/customers/{id}/notification-preferences': {
    a: { channels: { transactional: ['sms'], marketing: [] }, locale: 'zh-CN' },
    b: { channels: { transactional: ['email'], marketing: [] }, locale: 'en' },
  },
  'POST /v1/ops/orders/{id}/refund': { a: { reason: 'a', amount: 1 }, b: { reason: 'a', amount: 2 } },
  'POST /v1/ops/orders/{id}/extend': { a: { reason: 'a', seconds: 60 }, b: { reason: 'a', seconds: 120 } },
  'POST /v1/ops/orders/{id}/cancel': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/ops/orders/{id}/resend-notification': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/ops/orders/{id}/review': {
    a: { decision: 'approve', reason: 'a' },
    b: { decision: 'reject', reason: 'a' },
  },
  'POST /v1/ops/customers/{id}/freeze': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/ops/customers/{id}/unfreeze': { a: { reason: 'a' }, b: { reason: 'b' } },
  'POST /v1/ops/risk/blocklist': {
    a: { kind: 'customer', value: '', reason: 'a' },
    b: { kind: 'customer', value: '', reason: 'b' },
  },
  'POST /v1/promotions': { a: promotion('A'), b: promotion('B') },
  'PUT /v1/promotions/{id}': { a: promotion('A'), b: promotion('B') },
  'POST /v1/promotions/{id}/end': {},
  'POST /v1/coupon-templates': { a: couponTemplate('A'), b: couponTemplate('B') },
  'POST /v1/coupon-templates/{id}/issue': { a: { customerIds: ['c-a'] }, b: { customerIds: ['c-b'] } },
  // Disabled, and on a documentation address: nothing is ever sent there.
  'POST /v1/webhook-subscriptions': {
    a: { url: 'https://203.0.113.10/a', enabled: false },
    b: { url: 'https://203.0.113.10/b', enabled: false },
  },
  'PATCH /v1/webhook-subscriptions/{id}': { a: { enabled: false }, b: { eventTypes: ['order.*'] } },
  'POST /v1/webhook-subscriptions/{id}/disable': {},
  'POST /v1/webhook-subscriptions/{id}/rotate-secret': {},
  'POST /v1/webhook-subscriptions/{id}/deliveries/{eventId}/redeliver': {},
  'POST /v1/webhook-subscriptions/{id}/redeliver': {
    a: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
    b: { from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' },
  },
};
function couponTemplate(name: string) {
  return { name, kind: 'amount', amount: 500, startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z' };
}
function promotion(name: string) {
  const rule = { kind: 'percent_off', scope: { skus: ['SKU-TEA-001'] }, percent: 10 };
  return { code: '', name, startsAt: '2026-01-01T00:00:00Z', endsAt: '2035-01-01T00:00:00Z', rule };
}

let operations: Operation[] = [];
beforeAll(async () => {
  const doc = expectOk(await stack.app.inject({ method: 'GET', url: '/openapi.json' }));
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!MUTATING.includes(method)) continue;
      const header = (op.parameters ?? []).find(
        (p: { in: string; name: string }) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
      );
      operations.push({ method: method.toUpperCase(), path, via: op['x-idempotency'], roles: op['x-roles'], header });
    }
  }
  operations = operations.sort((x, y) => `${x.path}${x.method}`.localeCompare(`${y.path}${y.method}`));
});

test('every mutating operation says how it honours Idempotency-Key, and declares the header where a key applies', () => {
  expect(operations.length).toBeGreaterThanOrEqual(25);
  const problems: string[] = [];
  for (const op of operations) {
    const name = `${op.method} ${op.path}`;
    if (!['update', 'transaction', 'custom', 'event-id', 'none'].includes(op.via ?? ''))
      problems.push(`${name}: x-idempotency ${op.via}`);
    // Signed webhooks, and the simulated wallets' cashier pages that send them.
    if (op.via === 'event-id' && !op.path.startsWith('/v1/webhooks/') && !op.path.startsWith('/sim/'))
      problems.push(`${name}: only signed webhooks (and the simulators sending them) are deduplicated by event id`);
    if (op.via === 'none' && !op.path.startsWith('/codec/') && op.path !== '/v1/quotes')
      problems.push(`${name}: only the codec and quotes change nothing`);
    if (['update', 'transaction', 'custom'].includes(op.via ?? '') && !op.header)
      problems.push(`${name}: Idempotency-Key not declared`);
    if ((op.via === 'update' || op.via === 'transaction') && !(name in EXAMPLES))
      problems.push(`${name}: no example in this test`);
  }
  expect(problems).toEqual([]);
});

test('the key is required where money or stock moves', () => {
  const required = operations.filter((o) => o.header?.required).map((o) => `${o.method} ${o.path}`);
  expect(required).toEqual(
    expect.arrayContaining([
      'POST /v1/orders',
      'POST /v1/orders/{id}/cancel',
      'POST /v1/orders/{id}/stock-decision',
      'POST /v1/orders/{id}/merchant-decision',
      'PUT /v1/inventory/{sku}',
      'POST /v1/inventory/{sku}/restock',
      'POST /v1/ops/orders/{id}/refund',
      'POST /v1/ops/orders/{id}/cancel',
      'POST /v1/after-sales/{id}/decision',
      'POST /v1/after-sales/{id}/inspection',
      'POST /v1/after-sales/{id}/stock-decision',
    ]),
  );
});

/** The operation's URL and bodies: unknown ids (a remembered 404), or for creations a fresh resource (201). */
function requestsOf(op: Operation) {
  const example = EXAMPLES[`${op.method} ${op.path}`];
  const fresh = uid('IDEM').toUpperCase();
  const fill = (b: unknown) => {
    if (!b || typeof b !== 'object') return b;
    const field = ['sku', 'value', 'code'].find((f) => f in b);
    return field ? { ...b, [field]: fresh } : b;
  };
  return { url: op.path.replace(/\{\w+\}/g, missing), a: fill(example.a), b: fill(example.b) };
}

test('every keyed operation honours the key: the same request → the same answer (Idempotent-Replayed), another → 409, none where required → 400', async () => {
  const failures: string[] = [];
  const keyed = operations.filter((o) => o.via === 'update' || o.via === 'transaction');
  for (const op of keyed) {
    const name = `${op.method} ${op.path}`;
    const key = (Array.isArray(op.roles) ? (op.roles as string[]) : []).map((r) => ROLE_KEYS[r]).find(Boolean)!;
    const { url, a, b } = requestsOf(op);
    const method = op.method as 'POST' | 'PUT' | 'PATCH';
    const idem = randomUUID();
    const first = await send(stack.app, method, url, key, a, { 'idempotency-key': idem });
    const again = await send(stack.app, method, url, key, a, { 'idempotency-key': idem });
    if (first.statusCode >= 500 || first.statusCode === 400)
      failures.push(`${name}: first → ${first.statusCode} ${first.body.slice(0, 200)}`);
    // (the remembered body is stored as JSON: the same value, its keys perhaps in another order)
    if (again.statusCode !== first.statusCode || !isDeepStrictEqual(again.json(), first.json()))
      failures.push(
        `${name}: replay ${again.statusCode} ${again.body.slice(0, 200)} ≠ first ${first.statusCode} ${first.body.slice(0, 200)}`,
      );
    if (again.headers['idempotent-replayed'] !== 'true')
      failures.push(`${name}: replay not marked Idempotent-Replayed`);
    if (b !== undefined) {
      const other = await send(stack.app, method, url, key, b, { 'idempotency-key': idem });
      if (other.statusCode !== 409 || other.json().type !== '/problems/idempotency-key-reused')
        failures.push(`${name}: another body → ${other.statusCode} ${other.body.slice(0, 120)}`);
    }
    if (op.header?.required) {
      const none = await send(stack.app, method, url, key, a, { 'idempotency-key': undefined });
      if (none.statusCode !== 400 || !JSON.stringify(none.json().errors ?? []).includes('Idempotency-Key'))
        failures.push(`${name}: no key → ${none.statusCode}`);
    }
  }
  expect(failures).toEqual([]);
  expect(keyed.length).toBeGreaterThanOrEqual(20);
});

test('POST /v1/orders/{id}/after-sales (custom): the same key → the same request; another request → 409', async () => {
  const { deliveredOrder, request } = afterSalesHelpers(stack);
  const { orderId, sku } = await deliveredOrder({ quantity: 2 });
  const key = randomUUID();
  const a = { type: 'return', reason: 'no_reason', lines: [{ sku, quantity: 1 }] };
  const first = expectOk(await request(orderId, a, { 'idempotency-key': key }), 201);
  expect(expectOk(await request(orderId, a, { 'idempotency-key': key }), 200).id).toBe(first.id);
  expectProblem(
    await request(orderId, { ...a, lines: [{ sku, quantity: 2 }] }, { 'idempotency-key': key }),
    409,
    '/problems/idempotency-key-reused',
  );
});

describe('a retry moves money and stock once', () => {
  test('a support refund sent three times under one key (two at once) is decided once', async () => {
    const { body } = await submitOrder(stack.app, orderBody());
    await waitForOrder(stack.app, body.id, (o) => o.status === 'fulfilling' && o.payments[0]?.status === 'authorized');
    const key = randomUUID();
    const refund = () =>
      send(
        stack.app,
        'POST',
        `/v1/ops/orders/${body.id}/refund`,
        KEYS.support,
        { reason: 'goodwill', amount: 300 },
        { 'idempotency-key': key },
      );
    const [one, two] = await Promise.all([refund(), refund()]);
    const three = await refund();
    for (const res of [one, two, three]) expectOk(res, 200);

    expect(await stack.db.refund.count({ where: { orderId: body.id } })).toBe(1);
    const order = await waitForOrder(stack.app, body.id, () => true);
    // Before the capture a card refund releases part of the authorization: once.
    expect(
      order.timeline.filter((e: { type: string }) => e.type === 'payment.released' || e.type === 'payment.refunded'),
    ).toHaveLength(1);
    // The same key for another amount is refused and refunds nothing.
    expectProblem(
      await send(
        stack.app,
        'POST',
        `/v1/ops/orders/${body.id}/refund`,
        KEYS.support,
        { reason: 'goodwill', amount: 400 },
        { 'idempotency-key': key },
      ),
      409,
      '/problems/idempotency-key-reused',
    );
    expect(await stack.db.refund.count({ where: { orderId: body.id } })).toBe(1);
  });

  test('a restock sent three times under one key (two at once) adds the units once', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 5 } });
    const key = randomUUID();
    const restock = () =>
      send(
        stack.app,
        'POST',
        `/v1/inventory/${sku}/restock`,
        KEYS.merchant,
        { warehouseId: 'wh-shanghai', quantity: 3 },
        { 'idempotency-key': key },
      );
    const [one, two] = await Promise.all([restock(), restock()]);
    const three = await restock();
    for (const res of [one, two, three])
      expect(expectOk(res, 200).warehouses).toEqual([
        expect.objectContaining({ warehouseId: 'wh-shanghai', onHand: 8 }),
      ]);
    expect((await stack.db.inventory.findFirstOrThrow({ where: { sku, warehouseId: 'wh-shanghai' } })).onHand).toBe(8);
    expectProblem(
      await send(
        stack.app,
        'POST',
        `/v1/inventory/${sku}/restock`,
        KEYS.merchant,
        { warehouseId: 'wh-shanghai', quantity: 4 },
        { 'idempotency-key': key },
      ),
      409,
      '/problems/idempotency-key-reused',
    );
    const res = await stack.app.inject({ method: 'GET', url: `/v1/inventory/${sku}`, headers: auth(KEYS.merchant) });
    expect(expectOk(res).warehouses[0].onHand).toBe(8);
  });
});
