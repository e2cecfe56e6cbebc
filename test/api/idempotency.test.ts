// docs/api.md, idempotency: POST /v1/orders requires Idempotency-Key; same key + same body → the same order (200);
// same key + another body → 409; one order per key, even under concurrency.
import { randomUUID } from 'node:crypto';
import { KEYS, orderBody, submitOrder, waitForStatus, useStack } from '../helpers/stack';
import { createProduct, eventually, expectOk, expectProblem, send } from './api-helpers';

const stack = useStack();

/** Reverses the key order of every object, recursively (arrays keep their order). */
function reversedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversedKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .reverse()
        .map((k) => [k, reversedKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

const ordersOf = (customerId: string) => stack.db.order.count({ where: { customerId } });
const recordsOf = (key: string) => stack.db.idempotencyRecord.count({ where: { key } });

/** Waits until the order's row exists in the read model (written by the workflow). */
const rowWritten = (customerId: string, n = 1) =>
  eventually(
    () => ordersOf(customerId),
    (c) => c >= n,
    `order row of ${customerId}`,
  );

describe('Idempotency-Key header', () => {
  test('missing → 400 naming Idempotency-Key; nothing is recorded', async () => {
    const body = orderBody();
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, body, { 'idempotency-key': undefined });
    const problem = expectProblem(res, 400, '/problems/validation-error', ['Idempotency-Key']);
    expect(problem.errors).toHaveLength(1);
    expect(await ordersOf(body.customer.id)).toBe(0);
    expect(await stack.db.customer.count({ where: { id: body.customer.id } })).toBe(0);
  });

  test('empty → 400 naming Idempotency-Key', async () => {
    const body = orderBody();
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, body, { 'idempotency-key': '' });
    expectProblem(res, 400, '/problems/validation-error', ['Idempotency-Key']);
    expect(await recordsOf('')).toBe(0);
  });

  test('longer than 200 characters → 400 naming Idempotency-Key', async () => {
    const body = orderBody();
    const key = 'k'.repeat(201);
    const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, body, { 'idempotency-key': key });
    expectProblem(res, 400, '/problems/validation-error', ['Idempotency-Key']);
    expect(await recordsOf(key)).toBe(0);
    expect(await ordersOf(body.customer.id)).toBe(0);
  });
});

describe('same key', () => {
  test('same body → the same order: 201 first, then 200 with the same id', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await submitOrder(stack.app, body, key);
    expectOk(first.res, 201);
    expect(first.res.headers.location).toBe(`/v1/orders/${first.body.id}`);
    expect(first.body.status).toBe('submitted');

    const second = await submitOrder(stack.app, body, key);
    expectOk(second.res, 200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.customerId).toBe(body.customer.id);

    // Even once the order has moved on, the replay still answers with that order.
    await waitForStatus(stack.app, first.body.id, 'fulfilling');
    const third = await submitOrder(stack.app, body, key);
    expectOk(third.res, 200);
    expect(third.body).toMatchObject({ id: first.body.id, status: 'fulfilling' });

    expect(await recordsOf(key)).toBe(1);
    expect(await ordersOf(body.customer.id)).toBe(1);
  });

  test('same body with its JSON keys in another order (and other whitespace) → the same order, 200', async () => {
    const body = orderBody({
      lines: [
        { sku: 'SKU-TEA-001', quantity: 1 },
        { sku: 'SKU-RICE-001', quantity: 2 },
      ],
      note: 'leave at the door',
    });
    const key = randomUUID();
    const first = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, JSON.stringify(body), {
      'idempotency-key': key,
    });
    expectOk(first, 201);
    const reordered = JSON.stringify(reversedKeys(body), null, 2);
    expect(reordered).not.toBe(JSON.stringify(body));
    const second = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, reordered, { 'idempotency-key': key });
    expect(expectOk(second, 200).id).toBe(first.json().id);
    await rowWritten(body.customer.id);
    expect(await recordsOf(key)).toBe(1);
    expect(await ordersOf(body.customer.id)).toBe(1);
  });

  test('another body → 409 idempotency-key-reused; still exactly one order for the key', async () => {
    const body = orderBody();
    const key = randomUUID();
    const first = await submitOrder(stack.app, body, key);
    expectOk(first.res, 201);
    const record = await stack.db.idempotencyRecord.findFirstOrThrow({ where: { key } });

    for (const other of [
      { ...body, lines: [{ sku: 'SKU-TEA-001', quantity: 2 }] },
      { ...body, channel: 'app' },
      { ...body, customer: { ...body.customer, id: `${body.customer.id}-x` } },
    ]) {
      const res = await send(stack.app, 'POST', '/v1/orders', KEYS.platform, other, { 'idempotency-key': key });
      const problem = expectProblem(res, 409, '/problems/idempotency-key-reused');
      expect(problem.title).toBe('Conflict');
    }
    // The record still points at the first order, with the first body's hash.
    expect(await stack.db.idempotencyRecord.findMany({ where: { key } })).toEqual([record]);
    await rowWritten(body.customer.id);
    expect(await ordersOf(body.customer.id)).toBe(1);
    expect(await ordersOf(`${body.customer.id}-x`)).toBe(0);
    // And the original body still replays.
    const replay = await submitOrder(stack.app, body, key);
    expectOk(replay.res, 200);
    expect(replay.body.id).toBe(first.body.id);
  });

  test('a replay still answers 200 with the order after its product went off sale', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 10 } });
    const body = orderBody({ lines: [{ sku, quantity: 1 }] });
    const key = randomUUID();
    const first = await submitOrder(stack.app, body, key);
    expectOk(first.res, 201);
    // The merchant takes the product off sale (and reprices it) after the order was accepted.
    expectOk(
      await send(stack.app, 'POST', '/v1/products', KEYS.merchant, {
        sku,
        name: 'gone',
        priceAmount: 1,
        active: false,
      }),
      200,
    );
    // The client, which never saw the first answer, retries with the same key and body.
    const replay = await submitOrder(stack.app, body, key);
    expectOk(replay.res, 200);
    expect(replay.body).toMatchObject({
      id: first.body.id,
      lines: [expect.objectContaining({ sku, unitPrice: 1000 })],
    });
    expect(await recordsOf(key)).toBe(1);
  });

  test('a replay does not reserve stock a second time', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 10 } });
    const body = orderBody({ lines: [{ sku, quantity: 3 }], paymentMethod: 'wechat_pay', card: undefined });
    const key = randomUUID();
    const first = await submitOrder(stack.app, body, key);
    expectOk(first.res, 201);
    await waitForStatus(stack.app, first.body.id, 'awaiting_payment');
    const replay = await submitOrder(stack.app, body, key);
    expectOk(replay.res, 200);
    expect(replay.body.id).toBe(first.body.id);
    const [row] = await stack.db.inventory.findMany({ where: { sku } });
    expect(row).toMatchObject({ onHand: 10, reserved: 3, allocated: 0 });
  });

  test('5 concurrent identical requests with one key → one order (one 201, the others 200, one id)', async () => {
    const body = orderBody();
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 5 }, () => submitOrder(stack.app, body, key)));
    const statuses = results.map((r) => r.res.statusCode).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 201]);
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toMatch(/^ord_/);

    await waitForStatus(stack.app, id, 'fulfilling');
    expect(await recordsOf(key)).toBe(1);
    expect(await stack.db.order.findMany({ where: { customerId: body.customer.id }, select: { id: true } })).toEqual([
      { id },
    ]);
    // One workflow, one payment: the card was authorized once.
    const payments = await stack.db.payment.findMany({ where: { orderId: id } });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ status: 'authorized', amount: results[0].body.totals.total });
    expect(await stack.db.simulatorRecord.count({ where: { orderId: id, kind: 'authorization' } })).toBe(1);
  });

  test('concurrent requests with one key and different bodies → one 201, the others 409', async () => {
    const key = randomUUID();
    const bodies = Array.from({ length: 4 }, () => orderBody());
    const results = await Promise.all(bodies.map((b) => submitOrder(stack.app, b, key)));
    const statuses = results.map((r) => r.res.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    for (const r of results)
      if (r.res.statusCode === 409) expectProblem(r.res, 409, '/problems/idempotency-key-reused');
    const winner = bodies[results.findIndex((r) => r.res.statusCode === 201)];
    await rowWritten(winner.customer.id);
    expect(await recordsOf(key)).toBe(1);
    for (const b of bodies) expect(await ordersOf(b.customer.id)).toBe(b === winner ? 1 : 0);
  });

  test('a key whose request was refused (422) is not consumed: the corrected body creates the order', async () => {
    const key = randomUUID();
    const bad = orderBody({ lines: [{ sku: `NO-SUCH-${randomUUID()}`, quantity: 1 }] });
    expectProblem(
      await send(stack.app, 'POST', '/v1/orders', KEYS.platform, bad, { 'idempotency-key': key }),
      422,
      '/problems/unprocessable',
      ['lines.0.sku'],
    );
    expect(await recordsOf(key)).toBe(0);
    const fixed = { ...bad, lines: [{ sku: 'SKU-TEA-001', quantity: 1 }] };
    const res = await submitOrder(stack.app, fixed, key);
    expectOk(res.res, 201);
    expect(await recordsOf(key)).toBe(1);
  });

  test('5 concurrent requests with distinct keys → 5 orders (the key, not the body, identifies)', async () => {
    const body = orderBody();
    const results = await Promise.all(Array.from({ length: 5 }, () => submitOrder(stack.app, body, randomUUID())));
    expect(results.map((r) => r.res.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(5);
    await rowWritten(body.customer.id, 5);
  });
});
