// docs/decisions/071-response-contract.md: the answers of the main operations, driven through the real
// stack with a real order, are checked against the response schemas of /openapi.json (ajv): a status the
// document does not list, or a body its schema does not describe, fails here. So a schema that lies
// (a field renamed, a status forgotten, a type changed) fails the test.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterSalesHelpers } from '../helpers/after-sales';
import { KEYS, orderBody, postTracking, useStack } from '../helpers/stack';
import { createProduct, send } from './api-helpers';

const stack = useStack();
type Response = Awaited<ReturnType<typeof send>>;

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

let operations = new Map<string, Operation>();
let ajv: Ajv;
let components: unknown;
const validators = new Map<string, ValidateFunction>();
const checked = new Set<string>();

beforeAll(async () => {
  const doc = (await stack.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  components = jsonSchemaOf(doc.components);
  operations = new Map(
    Object.values(doc.paths as Record<string, Record<string, Operation>>)
      .flatMap((item) => Object.values(item))
      .map((op) => [op.operationId, op]),
  );
  // OpenAPI 3.0 schemas, `nullable` rewritten (jsonSchemaOf); other keywords (`example`, x-*) are ignored.
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
});

/** OpenAPI 3.0's `nullable` as JSON Schema says it (schemathesis reads it the same way): the schema, or null. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!schema || typeof schema !== 'object') return schema;
  const { nullable, ...rest } = schema as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, jsonSchemaOf(v)]));
  return nullable === true ? { anyOf: [converted, { type: 'null' }] } : converted;
}

/** The schema the document gives for this operation, status and content type (undefined: not documented). */
function schemaFor(operationId: string, status: number, contentType: string) {
  const op = operations.get(operationId);
  if (!op) throw new Error(`no operation ${operationId} in /openapi.json`);
  const media = op.responses[String(status)]?.content;
  if (!media) return undefined;
  return media[contentType.split(';')[0].trim()]?.schema;
}

/** Validates a body against the documented schema: the component references resolve inside /openapi.json. */
function validate(operationId: string, status: number, contentType: string, body: unknown) {
  const key = `${operationId} ${status} ${contentType}`;
  let check = validators.get(key);
  if (!check) {
    const schema = schemaFor(operationId, status, contentType);
    if (!schema) return [`${operationId} does not document ${status} ${contentType}`];
    check = ajv.compile({ ...(jsonSchemaOf(schema) as object), components });
    validators.set(key, check);
  }
  return check(body) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

/** Asserts the answer is documented and conforms; returns its body. */
function conforms(operationId: string, res: Response, status?: number): any {
  const body = res.json();
  if (status !== undefined) expect({ status: res.statusCode, body }).toMatchObject({ status });
  const errors = validate(operationId, res.statusCode, String(res.headers['content-type']), body);
  expect({ operationId, status: res.statusCode, errors }).toEqual({ operationId, status: res.statusCode, errors: [] });
  checked.add(operationId);
  return body;
}

const { deliveredOrder, waitForRequestStatus } = afterSalesHelpers(stack);

test('the validator refuses an answer its schema does not describe', async () => {
  const sku = await createProduct(stack.app, { stock: { 'wh-shanghai': 5 } });
  const stock = conforms('getStock', await send(stack.app, 'GET', `/v1/inventory/${sku}`, KEYS.merchant), 200);
  expect(validate('getStock', 200, 'application/json', { ...stock, warehouses: [{ warehouseId: 1 }] })).not.toEqual([]);
  expect(validate('getOrder', 200, 'application/json', { id: 'ord_1' })).not.toEqual([]);
  expect(validate('getOrder', 418, 'application/json', {})).toEqual([
    'getOrder does not document 418 application/json',
  ]);
});

test('catalog and quote answers conform', async () => {
  const sku = `SKU-RC-${Date.now().toString(36).toUpperCase()}`;
  const product = { sku, name: 'Contract tea', priceAmount: 1200 };
  conforms('upsertProduct', await send(stack.app, 'POST', '/v1/products', KEYS.merchant, product), 201);
  conforms('upsertProduct', await send(stack.app, 'POST', '/v1/products', KEYS.merchant, product), 200);
  const stock = { warehouseId: 'wh-shanghai', onHand: 7 };
  conforms('setStock', await send(stack.app, 'PUT', `/v1/inventory/${sku}`, KEYS.merchant, stock), 200);
  const restock = { warehouseId: 'wh-shanghai', quantity: 3 };
  const after = conforms(
    'restock',
    await send(stack.app, 'POST', `/v1/inventory/${sku}/restock`, KEYS.merchant, restock),
  );
  expect(after.warehouses[0].onHand).toBe(10);
  const quote = { channel: 'web', customerId: 'cust-rc', province: '上海', lines: [{ sku, quantity: 2 }] };
  conforms('quoteCart', await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, quote), 200);
  conforms('quoteCart', await send(stack.app, 'POST', '/v1/quotes', KEYS.platform, { ...quote, lines: [] }), 400);
  conforms('getStock', await send(stack.app, 'GET', '/v1/inventory/NO-SUCH-SKU', KEYS.support), 404);
});

test('an order, its list, its actions and its problems conform', async () => {
  const key = `rc-${Date.now()}`;
  const submit = () => send(stack.app, 'POST', '/v1/orders', KEYS.platform, orderBody(), { 'idempotency-key': key });
  const body = orderBody();
  const first = conforms(
    'submitOrder',
    await send(stack.app, 'POST', '/v1/orders', KEYS.platform, body, { 'idempotency-key': key }),
    201,
  );
  conforms(
    'submitOrder',
    await send(stack.app, 'POST', '/v1/orders', KEYS.platform, body, { 'idempotency-key': key }),
    200,
  );
  conforms('submitOrder', await submit(), 409); // same key, another body
  conforms('submitOrder', await send(stack.app, 'POST', '/v1/orders', KEYS.platform, { lines: [] }), 400);
  conforms('submitOrder', await send(stack.app, 'POST', '/v1/orders', undefined, body), 401);
  conforms('submitOrder', await send(stack.app, 'POST', '/v1/orders', KEYS.merchant, body), 403);
  conforms('getOrder', await send(stack.app, 'GET', `/v1/orders/${first.id}`, KEYS.support), 200);
  conforms('getOrder', await send(stack.app, 'GET', '/v1/orders/ord_missing', KEYS.support), 404);
  conforms('listOrders', await send(stack.app, 'GET', '/v1/orders?limit=5', KEYS.platform), 200);
  conforms('listOrders', await send(stack.app, 'GET', '/v1/orders?stuck=true&limit=5', KEYS.support), 200);
  conforms('listOrders', await send(stack.app, 'GET', '/v1/orders?flagged=true&limit=5', KEYS.support), 200);
  conforms('listOrders', await send(stack.app, 'GET', '/v1/orders?limit=0', KEYS.platform), 400);
  const cancelled = conforms(
    'cancelOrder',
    await send(stack.app, 'POST', `/v1/orders/${first.id}/cancel`, KEYS.platform, { reason: 'changed my mind' }),
    200,
  );
  expect(cancelled.status).toBe('cancelled');
  conforms('getOrder', await send(stack.app, 'GET', `/v1/orders/${first.id}`, KEYS.support), 200);
  conforms(
    'confirmReceipt',
    await send(stack.app, 'POST', `/v1/orders/${first.id}/confirm-receipt`, KEYS.platform),
    409,
  );
});

test('a delivered order, its tracking notifications and an after-sales request conform', async () => {
  const { orderId, sku } = await deliveredOrder();
  const order = conforms('getOrder', await send(stack.app, 'GET', `/v1/orders/${orderId}`, KEYS.platform), 200);
  expect(order.shipments[0].tracking.length).toBeGreaterThan(0);
  const parcel = order.shipments[0];
  const duplicate = { trackingNumber: parcel.trackingNumber, type: 'in_transit' as const, eventId: 'rc-dup' };
  await postTracking(stack.app, parcel.courier, duplicate);
  const ack = conforms('notifyTracking', await postTracking(stack.app, parcel.courier, duplicate), 200);
  expect(ack).toEqual({ received: true, duplicate: true });
  conforms('notifyTracking', await postTracking(stack.app, parcel.courier, duplicate, { secret: 'wrong' }), 401);

  // A defective item waits for the merchant's decision (a no-reason return would be approved at once).
  const ask = { type: 'return', reason: 'defective', lines: [{ sku, quantity: 1 }] };
  const request = conforms(
    'requestAfterSales',
    await send(stack.app, 'POST', `/v1/orders/${orderId}/after-sales`, KEYS.platform, ask),
    201,
  );
  conforms('getAfterSalesRequest', await send(stack.app, 'GET', `/v1/after-sales/${request.id}`, KEYS.merchant), 200);
  conforms('listAfterSales', await send(stack.app, 'GET', `/v1/after-sales?orderId=${orderId}`, KEYS.support), 200);
  const decided = conforms(
    'decideAfterSales',
    await send(stack.app, 'POST', `/v1/after-sales/${request.id}/decision`, KEYS.merchant, { decision: 'approve' }),
    200,
  );
  expect(decided.decision).toMatchObject({ decision: 'approve' });
  await waitForRequestStatus(request.id, 'awaiting_return');
  conforms('getAfterSalesRequest', await send(stack.app, 'GET', `/v1/after-sales/${request.id}`, KEYS.support), 200);
  conforms('getOrder', await send(stack.app, 'GET', `/v1/orders/${orderId}`, KEYS.support), 200);
});

test('promotions conform', async () => {
  const rule = { kind: 'percent_off', scope: { skus: ['SKU-TEA-001'] }, percent: 10 };
  const promotion = {
    code: `RC${Date.now().toString(36).toUpperCase()}`,
    name: 'Contract promotion',
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2035-01-01T00:00:00Z',
    rule,
  };
  const created = conforms(
    'createPromotion',
    await send(stack.app, 'POST', '/v1/promotions', KEYS.merchant, promotion),
    201,
  );
  conforms('listPromotions', await send(stack.app, 'GET', '/v1/promotions', KEYS.merchant), 200);
  conforms('getPromotion', await send(stack.app, 'GET', `/v1/promotions/${created.id}`, KEYS.merchant), 200);
  const replaced = { ...promotion, name: 'Contract promotion, replaced' };
  conforms(
    'replacePromotion',
    await send(stack.app, 'PUT', `/v1/promotions/${created.id}`, KEYS.merchant, replaced),
    200,
  );
  conforms('endPromotion', await send(stack.app, 'POST', `/v1/promotions/${created.id}/end`, KEYS.merchant), 200);
  conforms('createPromotion', await send(stack.app, 'POST', '/v1/promotions', KEYS.merchant, promotion), 409);
});

test('every main operation was checked', () => {
  const main = [
    'submitOrder',
    'getOrder',
    'listOrders',
    'cancelOrder',
    'upsertProduct',
    'getStock',
    'setStock',
    'restock',
    'quoteCart',
    'requestAfterSales',
    'getAfterSalesRequest',
    'listAfterSales',
    'decideAfterSales',
    'createPromotion',
    'listPromotions',
    'getPromotion',
    'replacePromotion',
    'endPromotion',
    'notifyTracking',
  ];
  expect(main.filter((id) => !checked.has(id))).toEqual([]);
});
