// docs/api.md, catalog and stock (merchant): POST /v1/products, PUT /v1/inventory/{sku} (never below what
// orders hold), POST /v1/inventory/{sku}/restock, GET /v1/inventory/{sku} with reserved/allocated.
import { KEYS, orderBody, submitOrder, waitForStatus, useStack } from '../helpers/stack';
import { createProduct, expectOk, expectProblem, send, uid } from './api-helpers';

const stack = useStack();

const newSku = () => uid('SKU-CAT').toUpperCase();
const inventoryRows = (sku: string) =>
  stack.db.inventory.findMany({
    where: { sku },
    orderBy: { warehouseId: 'asc' },
    select: { warehouseId: true, onHand: true, reserved: true, allocated: true },
  });
const getStock = async (sku: string, key: string = KEYS.merchant) =>
  expectOk(await send(stack.app, 'GET', `/v1/inventory/${sku}`, key));
const putStock = (sku: string, warehouseId: string, onHand: unknown, key: string = KEYS.merchant) =>
  send(stack.app, 'PUT', `/v1/inventory/${sku}`, key, { warehouseId, onHand });
const restock = (sku: string, warehouseId: string, quantity: unknown, key: string = KEYS.merchant) =>
  send(stack.app, 'POST', `/v1/inventory/${sku}/restock`, key, { warehouseId, quantity });

describe('POST /v1/products', () => {
  test('creates (201), then updates (200) the merchant’s product', async () => {
    const sku = newSku();
    const created = await send(stack.app, 'POST', '/v1/products', KEYS.merchant, {
      sku,
      name: 'Jasmine tea 100g',
      priceAmount: 3900,
    });
    expect(expectOk(created, 201)).toMatchObject({
      sku,
      merchantId: 'm-demo',
      name: 'Jasmine tea 100g',
      priceAmount: 3900,
      currency: 'CNY',
      active: true,
    });

    const updated = await send(stack.app, 'POST', '/v1/products', KEYS.merchant, {
      sku,
      name: 'Jasmine tea 125g',
      priceAmount: 4500,
      active: false,
    });
    expect(expectOk(updated, 200)).toMatchObject({
      sku,
      merchantId: 'm-demo',
      name: 'Jasmine tea 125g',
      priceAmount: 4500,
      active: false,
    });
    expect(await stack.db.product.findUniqueOrThrow({ where: { sku } })).toMatchObject({
      merchantId: 'm-demo',
      name: 'Jasmine tea 125g',
      priceAmount: 4500,
      active: false,
    });
    expect(await stack.db.product.count({ where: { sku } })).toBe(1);
  });

  test('a product is priced from the catalog at order time (the update is what the next order pays)', async () => {
    const sku = await createProduct(stack.app, { priceAmount: 1000, stock: { 'wh-shanghai': 5 } });
    expectOk(
      await send(stack.app, 'POST', '/v1/products', KEYS.merchant, { sku, name: 'repriced', priceAmount: 1234 }),
      200,
    );
    const { res, body } = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    expectOk(res, 201);
    expect(body.lines[0]).toMatchObject({ sku, unitPrice: 1234 });
    expect(body.totals.total).toBe(2468);
  });

  test("another merchant's sku → 409 sku-taken, and the product is unchanged", async () => {
    const sku = await createProduct(stack.app, { priceAmount: 2000 });
    const before = await stack.db.product.findUniqueOrThrow({ where: { sku } });
    const res = await send(stack.app, 'POST', '/v1/products', KEYS.manualMerchant, {
      sku,
      name: 'taken over',
      priceAmount: 1,
    });
    expectProblem(res, 409, '/problems/sku-taken');
    expect(await stack.db.product.findUniqueOrThrow({ where: { sku } })).toEqual(before);
    // Nor does a demo SKU change hands.
    expectProblem(
      await send(stack.app, 'POST', '/v1/products', KEYS.manualMerchant, {
        sku: 'SKU-TEA-001',
        name: 'x',
        priceAmount: 1,
      }),
      409,
      '/problems/sku-taken',
    );
    expect(await stack.db.product.findUniqueOrThrow({ where: { sku: 'SKU-TEA-001' } })).toMatchObject({
      merchantId: 'm-demo',
      priceAmount: 8800,
    });
  });

  test('the body cannot move a product to another merchant', async () => {
    const sku = await createProduct(stack.app);
    expectOk(
      await send(stack.app, 'POST', '/v1/products', KEYS.merchant, {
        sku,
        name: 'still mine',
        priceAmount: 10,
        merchantId: 'm-manual',
      }),
      200,
    );
    expect(await stack.db.product.findUniqueOrThrow({ where: { sku } })).toMatchObject({
      merchantId: 'm-demo',
      name: 'still mine',
    });
  });

  test.each([
    [{}, ['sku', 'name', 'priceAmount']],
    [{ sku: '  ', name: 'x', priceAmount: 1 }, ['sku']],
    [{ sku: 'OK', name: 'x', priceAmount: -1 }, ['priceAmount']],
    [{ sku: 'OK', name: 'x', priceAmount: 9.99 }, ['priceAmount']],
    [{ sku: 'OK', name: 'x', priceAmount: '100' }, ['priceAmount']],
    [{ sku: 'OK', name: 'x', priceAmount: 1, currency: 'YUAN' }, ['currency']],
    [{ sku: 'OK', name: 'x', priceAmount: 1, active: 'yes' }, ['active']],
  ])('invalid body %p → 400 naming %p, nothing created', async (payload, fields) => {
    const sku = newSku();
    const body = { ...payload, ...('sku' in payload && (payload as { sku: string }).sku === 'OK' ? { sku } : {}) };
    const res = await send(stack.app, 'POST', '/v1/products', KEYS.merchant, body);
    expectProblem(res, 400, '/problems/validation-error', fields);
    expect(await stack.db.product.count({ where: { sku } })).toBe(0);
  });
});

describe('PUT /v1/inventory/{sku} and restock', () => {
  test('sets on hand per warehouse (creating the row), restock adds; GET shows every warehouse', async () => {
    const sku = await createProduct(stack.app);
    expect(await getStock(sku)).toEqual({ sku, warehouses: [] });

    const set = expectOk(await putStock(sku, 'wh-shanghai', 10));
    expect(set).toEqual({
      sku,
      warehouses: [{ warehouseId: 'wh-shanghai', onHand: 10, reserved: 0, allocated: 0, available: 10 }],
    });

    const added = expectOk(await restock(sku, 'wh-shanghai', 5));
    expect(added.warehouses).toEqual([
      { warehouseId: 'wh-shanghai', onHand: 15, reserved: 0, allocated: 0, available: 15 },
    ]);

    // Restocking a warehouse without a row creates it.
    const other = expectOk(await restock(sku, 'wh-beijing', 7));
    expect(other.warehouses).toEqual([
      { warehouseId: 'wh-beijing', onHand: 7, reserved: 0, allocated: 0, available: 7 },
      { warehouseId: 'wh-shanghai', onHand: 15, reserved: 0, allocated: 0, available: 15 },
    ]);

    // A count lower than before (nothing held) is accepted: it is the counted truth.
    expect(expectOk(await putStock(sku, 'wh-shanghai', 3)).warehouses[1]).toMatchObject({ onHand: 3, available: 3 });
    expect(expectOk(await putStock(sku, 'wh-shanghai', 0)).warehouses[1]).toMatchObject({ onHand: 0, available: 0 });
    expect(await getStock(sku, KEYS.support)).toEqual(await getStock(sku));
  });

  test('unknown warehouse → 422 naming warehouseId; nothing created', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 4 } });
    const before = await inventoryRows(sku);
    expectProblem(await putStock(sku, 'wh-atlantis', 10), 422, '/problems/unprocessable', ['warehouseId']);
    expectProblem(await restock(sku, 'wh-atlantis', 10), 422, '/problems/unprocessable', ['warehouseId']);
    expect(await inventoryRows(sku)).toEqual(before);
    expect(await stack.db.warehouse.count({ where: { id: 'wh-atlantis' } })).toBe(0);
  });

  test.each([
    ['PUT onHand -1', (sku: string) => putStock(sku, 'wh-shanghai', -1), ['onHand']],
    ['PUT onHand 2.5', (sku: string) => putStock(sku, 'wh-shanghai', 2.5), ['onHand']],
    [
      'PUT without warehouse',
      (sku: string) => send(stack.app, 'PUT', `/v1/inventory/${sku}`, KEYS.merchant, { onHand: 1 }),
      ['warehouseId'],
    ],
    ['restock 0', (sku: string) => restock(sku, 'wh-shanghai', 0), ['quantity']],
    ['restock -3', (sku: string) => restock(sku, 'wh-shanghai', -3), ['quantity']],
  ])('%s → 400 naming the field, stock unchanged', async (_what, call, fields) => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 4 } });
    const before = await inventoryRows(sku);
    expectProblem(await call(sku), 400, '/problems/validation-error', fields as string[]);
    expect(await inventoryRows(sku)).toEqual(before);
  });

  test("another merchant's sku or an unknown sku → 404, stock unchanged", async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 4 } });
    const before = await inventoryRows(sku);
    expectProblem(await putStock(sku, 'wh-shanghai', 100, KEYS.manualMerchant), 404, '/problems/not-found');
    expectProblem(await restock(sku, 'wh-shanghai', 100, KEYS.manualMerchant), 404, '/problems/not-found');
    expectProblem(
      await send(stack.app, 'GET', `/v1/inventory/${sku}`, KEYS.manualMerchant),
      404,
      '/problems/not-found',
    );
    expect(await inventoryRows(sku)).toEqual(before);
    const unknown = newSku();
    expectProblem(await putStock(unknown, 'wh-shanghai', 1), 404, '/problems/not-found');
    expectProblem(await restock(unknown, 'wh-shanghai', 1), 404, '/problems/not-found');
    expectProblem(await send(stack.app, 'GET', `/v1/inventory/${unknown}`, KEYS.support), 404, '/problems/not-found');
    expect(await inventoryRows(unknown)).toEqual([]);
  });

  test('GET shows reserved and allocated units; PUT refuses to go below what orders hold (409)', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 10 } });
    // A wallet order waits for payment: its 3 units are reserved.
    const waiting = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 3 }], paymentMethod: 'wechat_pay', card: undefined }),
    );
    expectOk(waiting.res, 201);
    await waitForStatus(stack.app, waiting.body.id, 'awaiting_payment');
    // A card order is paid and accepted: its 2 units are allocated.
    const paid = await submitOrder(stack.app, orderBody({ lines: [{ sku, quantity: 2 }] }));
    expectOk(paid.res, 201);
    await waitForStatus(stack.app, paid.body.id, 'fulfilling');

    expect(await getStock(sku)).toEqual({
      sku,
      warehouses: [{ warehouseId: 'wh-shanghai', onHand: 10, reserved: 3, allocated: 2, available: 5 }],
    });

    for (const onHand of [4, 0]) {
      const res = await putStock(sku, 'wh-shanghai', onHand);
      expectProblem(res, 409, '/problems/stock-held');
    }
    expect(await inventoryRows(sku)).toEqual([{ warehouseId: 'wh-shanghai', onHand: 10, reserved: 3, allocated: 2 }]);

    // Exactly what is held is allowed: nothing left to sell.
    expect(expectOk(await putStock(sku, 'wh-shanghai', 5)).warehouses).toEqual([
      { warehouseId: 'wh-shanghai', onHand: 5, reserved: 3, allocated: 2, available: 0 },
    ]);
    // Restock adds on top of the holds.
    expect(expectOk(await restock(sku, 'wh-shanghai', 4)).warehouses).toEqual([
      { warehouseId: 'wh-shanghai', onHand: 9, reserved: 3, allocated: 2, available: 4 },
    ]);

    // The holds are the orders': cancelling the waiting order gives its reservation back.
    expectOk(
      await send(stack.app, 'POST', `/v1/orders/${waiting.body.id}/cancel`, KEYS.platform, {
        reason: 'no longer wanted',
      }),
    );
    await waitForStatus(stack.app, waiting.body.id, 'cancelled');
    expect(await getStock(sku)).toEqual({
      sku,
      warehouses: [{ warehouseId: 'wh-shanghai', onHand: 9, reserved: 0, allocated: 2, available: 7 }],
    });
  });

  test('an order for more units than exist, left undecided, is cancelled out of stock and holds nothing', async () => {
    const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 2 } });
    const { res, body } = await submitOrder(
      stack.app,
      orderBody({ lines: [{ sku, quantity: 3 }], policy: { stockDecisionSeconds: 1 } }),
    );
    expectOk(res, 201);
    const order = await waitForStatus(stack.app, body.id, 'cancelled');
    expect(order.cancellation.reason).toMatch(/out of stock/);
    expect(await getStock(sku)).toEqual({
      sku,
      warehouses: [{ warehouseId: 'wh-shanghai', onHand: 2, reserved: 0, allocated: 0, available: 2 }],
    });
  });
});
