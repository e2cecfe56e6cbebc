// docs/decisions/071-response-contract.md: the answers of the main operations, driven through the real
// stack with a real order, are checked against the response schemas of /openapi.json (ajv): a status the
// document does not list, or a body its schema does not describe, fails here. So a schema that lies
// (a field renamed, a status forgotten, a type changed) fails the test.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { createActivities } from '../../activities';
import { afterSalesHelpers } from '../helpers/after-sales';
import { KEYS, orderBody, postTracking, submitOrder, useStack, waitForOrder } from '../helpers/stack';
import { createProduct, eventually, send, uid } from './api-helpers';

// Short stuck thresholds (as test/api/ops-stuck.test.ts), so a courier outage makes a stuck order within seconds.
// Notices are marked failed and deliveries read pending by hand: no other file's dispatcher may send them.
const stack = useStack({
  env: { STUCK_ACTIVITY_ATTEMPTS: '3', STUCK_QUIET_SECONDS: '0' },
  quietOutboxes: ['notifications', 'webhooks'],
});
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

/** Asserts the answer is documented and conforms; returns its body (JSON parsed, other types as text). */
function conforms(operationId: string, res: Response, status?: number): any {
  const contentType = String(res.headers['content-type']);
  const body = /json/.test(contentType) ? res.json() : res.body;
  if (status !== undefined) expect({ status: res.statusCode, body }).toMatchObject({ status });
  const errors = validate(operationId, res.statusCode, contentType, body);
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

/** A new order of a customer of its own (freezing or blocklisting it touches no other test's orders). */
async function ownCustomersOrder(overrides: Record<string, unknown> = {}) {
  const base = orderBody();
  const customerId = uid('cust-rc');
  const { res, body } = await submitOrder(
    stack.app,
    orderBody({ customer: { ...(base.customer as object), id: customerId }, ...overrides }),
  );
  expect(res.statusCode).toBe(201);
  return { orderId: body.id as string, customerId };
}

test('a stuck order conforms: the stuck list, its timeline, a retry and the audit log', async () => {
  const couriers = Object.values(stack.providers.couriers);
  couriers.forEach((c) => (c.outage = true));
  try {
    const { orderId, customerId } = await ownCustomersOrder();
    const stuckList = () => send(stack.app, 'GET', `/v1/ops/orders?stuck=true&customerId=${customerId}`, KEYS.support);
    const retrying = await eventually(
      stuckList,
      (res) => res.json().items?.[0]?.reasons.some((r: { kind: string }) => r.kind === 'activity_retrying'),
      'the courier booking retrying past the threshold',
      40_000,
    );
    expect(conforms('listStuckOrders', retrying, 200).items[0].orderId).toBe(orderId);
    const listed = await send(stack.app, 'GET', `/v1/orders?stuck=true&customerId=${customerId}`, KEYS.support);
    expect(conforms('listOrders', listed, 200).items[0].stuck.reasons.length).toBeGreaterThan(0);
    const timeline = conforms(
      'getOrderTimeline',
      await send(stack.app, 'GET', `/v1/ops/orders/${orderId}/timeline`, KEYS.support),
      200,
    );
    expect(timeline.entries.map((e: { source: string }) => e.source)).toEqual(
      expect.arrayContaining(['business', 'workflow']),
    );
    couriers.forEach((c) => (c.outage = false));
    const retried = conforms(
      'retryOrderSteps',
      await send(stack.app, 'POST', `/v1/ops/orders/${orderId}/retry`, KEYS.support, { reason: 'courier back' }),
      200,
    );
    expect(retried.retried.length).toBeGreaterThan(0);
    const audit = conforms(
      'listAuditEntries',
      await send(stack.app, 'GET', `/v1/ops/audit?orderId=${orderId}`, KEYS.support),
      200,
    );
    expect(audit.items[0]).toMatchObject({ operation: 'order.retry', outcome: 'succeeded' });
  } finally {
    couriers.forEach((c) => (c.outage = false));
  }
});

test("support's customer, blocklist, notification and reconciliation answers conform", async () => {
  const { orderId, customerId } = await ownCustomersOrder();
  const reason = { reason: 'contract check' };
  const frozen = conforms(
    'freezeCustomer',
    await send(stack.app, 'POST', `/v1/ops/customers/${customerId}/freeze`, KEYS.support, reason),
    200,
  );
  expect(frozen).toMatchObject({ frozen: true, reason: 'contract check' });
  const unfrozen = conforms(
    'unfreezeCustomer',
    await send(stack.app, 'POST', `/v1/ops/customers/${customerId}/unfreeze`, KEYS.support, reason),
    200,
  );
  expect(unfrozen).toMatchObject({ frozen: false, frozenAt: null });
  const blocked = { kind: 'customer', value: uid('cust-rc-blocked'), ...reason };
  conforms('addToBlocklist', await send(stack.app, 'POST', '/v1/ops/risk/blocklist', KEYS.support, blocked), 201);

  // No dispatcher runs in this file: its notices stay queued until they are marked as a dispatcher would.
  const notices = await eventually(
    () => stack.db.notification.findMany({ where: { orderId }, orderBy: { id: 'asc' } }),
    (rows) => rows.length >= 2,
    'two notices of the order queued',
  );
  await stack.db.notification.update({
    where: { id: notices[0].id },
    data: { status: 'failed', attempts: 4, lastError: 'gateway timed out' },
  });
  await stack.db.notification.update({ where: { id: notices[1].id }, data: { status: 'sent', sentAt: new Date() } });
  const failed = conforms(
    'listNotifications',
    await send(stack.app, 'GET', `/v1/ops/notifications?status=failed&orderId=${orderId}`, KEYS.support),
    200,
  );
  expect(failed.items).toEqual([expect.objectContaining({ id: notices[0].id, lastError: 'gateway timed out' })]);
  const requeued = conforms(
    'resendNotification',
    await send(stack.app, 'POST', `/v1/ops/orders/${orderId}/resend-notification`, KEYS.support, reason),
    200,
  );
  expect(requeued.queued).toEqual([expect.objectContaining({ id: notices[0].id, was: 'failed' })]);
  const copied = conforms(
    'resendNotificationById',
    await send(
      stack.app,
      'POST',
      `/v1/ops/notifications/${encodeURIComponent(notices[1].id)}/resend`,
      KEYS.support,
      reason,
    ),
    200,
  );
  expect(copied.queued).toEqual([expect.objectContaining({ was: 'sent', copyOf: notices[1].id })]);

  // A capture only our books know of: the run reports it, with one side null.
  const phantom = uid('pay-rc-phantom');
  await stack.db.payment.create({
    data: {
      id: phantom,
      orderId,
      method: 'card',
      status: 'captured',
      amount: 700,
      capturedAmount: 700,
      currency: 'CNY',
    },
  });
  const { reconcilePayments } = createActivities({ db: stack.db, providers: stack.providers });
  const runId = uid('reconciliation-rc');
  await reconcilePayments({ runId, from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() });
  const runs = conforms(
    'listReconciliationRuns',
    await send(stack.app, 'GET', '/v1/ops/reconciliation?withDifferences=true&limit=20', KEYS.support),
    200,
  );
  const run = runs.items.find((r: { runId: string }) => r.runId === runId);
  expect(run.differences).toEqual(
    expect.arrayContaining([expect.objectContaining({ kind: 'unknown_capture', paymentId: phantom, theirs: null })]),
  );
});

test('notification preferences and the payload codec conform', async () => {
  const customerId = uid('cust-rc-prefs');
  const url = `/v1/customers/${customerId}/notification-preferences`;
  const defaults = conforms('getNotificationPreferences', await send(stack.app, 'GET', url, KEYS.platform));
  expect(defaults.default).toBe(true);
  const prefs = {
    channels: { transactional: ['email'], marketing: ['in_app'] },
    locale: 'en',
    quietHours: { start: '22:00', end: '08:00' },
  };
  const stored = conforms('setNotificationPreferences', await send(stack.app, 'PUT', url, KEYS.platform, prefs), 200);
  expect(stored).toMatchObject({ default: false, quietHours: { timeZone: 'Asia/Shanghai' } });
  conforms('getNotificationPreferences', await send(stack.app, 'GET', url, KEYS.support), 200);

  const payload = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('"张三"').toString('base64'),
  };
  const encoded = conforms(
    'encodePayloads',
    await send(stack.app, 'POST', '/codec/encode', KEYS.support, { payloads: [payload] }),
    200,
  );
  const decoded = conforms(
    'decodePayloads',
    await send(stack.app, 'POST', '/codec/decode', KEYS.support, encoded),
    200,
  );
  expect(decoded.payloads).toEqual([payload]);
});

test("coupon templates and a completed order's membership conform", async () => {
  const { orderId, order } = await deliveredOrder();
  conforms(
    'confirmReceipt',
    await send(stack.app, 'POST', `/v1/orders/${orderId}/confirm-receipt`, KEYS.platform),
    200,
  );
  const sku = await createProduct(stack.app);
  const template = {
    name: 'Contract coupon',
    kind: 'amount',
    amount: 500,
    skus: [sku],
    startsAt: '2026-01-01T00:00:00Z',
    endsAt: '2035-01-01T00:00:00Z',
  };
  const created = conforms(
    'createCouponTemplate',
    await send(stack.app, 'POST', '/v1/coupon-templates', KEYS.merchant, template),
    201,
  );
  const issue = { customerIds: [order.customerId] };
  const issued = conforms(
    'issueCoupons',
    await send(stack.app, 'POST', `/v1/coupon-templates/${created.id}/issue`, KEYS.merchant, issue),
    200,
  );
  expect(issued.issued).toBe(1);
  const usage = conforms(
    'getCouponTemplate',
    await send(stack.app, 'GET', `/v1/coupon-templates/${created.id}`, KEYS.merchant),
    200,
  );
  expect(usage).toMatchObject({ issued: 1, redeemed: 0, skus: [sku] });
  // Completion credits the points (a step after the receipt): the membership shows them with the coupon.
  const membership = await eventually(
    () => send(stack.app, 'GET', `/v1/customers/${order.customerId}/membership`, KEYS.platform),
    (res) => res.json().points?.ledger.length > 0,
    'the completed order credits points',
  );
  expect(conforms('getMembership', membership, 200).coupons).toEqual([
    expect.objectContaining({ templateId: created.id, status: 'issued' }),
  ]);
});

test('webhook subscriptions, their delivery log and redeliveries conform', async () => {
  const { orderId } = await ownCustomersOrder();
  const event = await eventually(
    () => stack.db.outboundEvent.findFirst({ where: { orderId }, orderBy: { seq: 'asc' } }),
    (e) => e !== null,
    'the order published its first event',
  );
  // Disabled from the start: nothing is ever sent to this address, the log only records the redeliveries.
  const subscription = { url: 'http://127.0.0.1:9/rc-hooks', eventTypes: [event!.type], enabled: false };
  const created = conforms(
    'createWebhookSubscription',
    await send(stack.app, 'POST', '/v1/webhook-subscriptions', KEYS.platform, subscription),
    201,
  );
  expect(created.secret).toMatch(/^whsec_/);
  const path = `/v1/webhook-subscriptions/${created.id}`;
  conforms('listWebhookSubscriptions', await send(stack.app, 'GET', '/v1/webhook-subscriptions', KEYS.platform), 200);
  conforms('getWebhookSubscription', await send(stack.app, 'GET', path, KEYS.platform), 200);
  const patched = conforms(
    'updateWebhookSubscription',
    await send(stack.app, 'PATCH', path, KEYS.platform, { url: 'http://127.0.0.1:9/rc-hooks-2' }),
    200,
  );
  expect(patched.url).toBe('http://127.0.0.1:9/rc-hooks-2');
  const rotated = conforms(
    'rotateWebhookSecret',
    await send(stack.app, 'POST', `${path}/rotate-secret`, KEYS.platform),
    200,
  );
  expect(rotated.secret).not.toBe(created.secret);

  conforms(
    'redeliverEvent',
    await send(stack.app, 'POST', `${path}/deliveries/${event!.id}/redeliver`, KEYS.platform),
    202,
  );
  const at = event!.occurredAt.getTime();
  const range = { from: new Date(at).toISOString(), to: new Date(at + 1).toISOString() };
  const redelivered = conforms(
    'redeliverRange',
    await send(stack.app, 'POST', `${path}/redeliver`, KEYS.platform, range),
    202,
  );
  expect(redelivered.eventIds).toContain(event!.id);
  const log = conforms(
    'listSubscriptionDeliveries',
    await send(stack.app, 'GET', `${path}/deliveries`, KEYS.platform),
    200,
  );
  // The range may hold another order's event of the same instant: ours is there, parked while the endpoint is off.
  expect(log.items).toEqual(
    expect.arrayContaining([expect.objectContaining({ eventId: event!.id, status: 'parked' })]),
  );
  conforms(
    'listWebhookDeliveries',
    await send(stack.app, 'GET', '/v1/webhook-deliveries?status=pending&limit=5', KEYS.platform),
    200,
  );
  const disabled = conforms(
    'disableWebhookSubscription',
    await send(stack.app, 'POST', `${path}/disable`, KEYS.platform),
    200,
  );
  expect(disabled).toMatchObject({ enabled: false, disabledReason: 'by_owner' });
});

test('analytics reports conform, as JSON and as CSV', async () => {
  // The orders, cancellation, delivery and after-sales request of the tests above are in the period.
  const reports = [
    ['getSalesReport', 'sales?by=channel'],
    ['getFunnelReport', 'funnel'],
    ['getCancellationReport', 'cancellations'],
    ['getTopProducts', 'products/top'],
    ['getAfterSalesReport', 'after-sales'],
    ['getAfterSalesReasons', 'after-sales/reasons'],
    ['getCourierReport', 'couriers'],
    ['getStockCover', 'stock-cover'],
  ];
  for (const [operationId, path] of reports) {
    const report = conforms(operationId, await send(stack.app, 'GET', `/v1/analytics/${path}`, KEYS.merchant), 200);
    expect({ operationId, hasRows: report.rows.length > 0 }).toEqual({ operationId, hasRows: true });
  }
  // Decision 072's reports: their answers conform whether or not this file's orders fill them.
  const customerReports = [
    ['getRepeatPurchase', 'customers/repeat'],
    ['getCustomerSegments', 'customers/segments'],
    ['getBoughtTogether', 'products/bought-together'],
    ['getPromotionCost', 'promotions'],
  ];
  for (const [operationId, path] of customerReports)
    conforms(operationId, await send(stack.app, 'GET', `/v1/analytics/${path}`, KEYS.merchant), 200);
  const csv = conforms(
    'getSalesReport',
    await send(stack.app, 'GET', '/v1/analytics/sales?format=csv', KEYS.merchant),
    200,
  );
  expect(csv.split('\n')[0]).toContain('netSales');
});

test('HTML and script answers conform: the cashier pages and the analytics dashboard', async () => {
  const { orderId } = await ownCustomersOrder({ paymentMethod: 'alipay', card: undefined });
  const order = await waitForOrder(stack.app, orderId, (o) => o.payments[0]?.action !== undefined);
  const cashier = new URL(order.payments[0].action.url).pathname;
  expect(conforms('getCashierPage', await stack.app.inject({ method: 'GET', url: cashier }), 200)).toContain(orderId);
  const paid = await stack.app.inject({
    method: 'POST',
    url: cashier,
    headers: { 'content-type': 'text/plain' },
    payload: '',
  });
  expect(conforms('payAtCashier', paid, 200)).toContain('answered HTTP 200');
  const dashboard = await stack.app.inject({ method: 'GET', url: '/console/analytics' });
  expect(conforms('getAnalyticsDashboard', dashboard, 200)).toContain('<html');
  const chart = await stack.app.inject({ method: 'GET', url: '/console/vendor/chart.umd.min.js' });
  expect(conforms('getChartJs', chart, 200)).toContain('Chart');
});

test('every main operation, and every one typed since, was checked', () => {
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
  // Documented as "some JSON object" until issue 11 typed them (docs/decisions/071-response-contract.md).
  const typedSince = [
    'listStuckOrders',
    'getOrderTimeline',
    'retryOrderSteps',
    'listAuditEntries',
    'freezeCustomer',
    'unfreezeCustomer',
    'addToBlocklist',
    'listNotifications',
    'resendNotification',
    'resendNotificationById',
    'listReconciliationRuns',
    'getNotificationPreferences',
    'setNotificationPreferences',
    'encodePayloads',
    'decodePayloads',
    'createCouponTemplate',
    'getCouponTemplate',
    'issueCoupons',
    'getMembership',
    'createWebhookSubscription',
    'listWebhookSubscriptions',
    'getWebhookSubscription',
    'updateWebhookSubscription',
    'disableWebhookSubscription',
    'rotateWebhookSecret',
    'listSubscriptionDeliveries',
    'listWebhookDeliveries',
    'redeliverEvent',
    'redeliverRange',
    'getSalesReport',
    'getFunnelReport',
    'getCancellationReport',
    'getTopProducts',
    'getAfterSalesReport',
    'getAfterSalesReasons',
    'getCourierReport',
    'getStockCover',
    'getCashierPage',
    'payAtCashier',
    'getAnalyticsDashboard',
    'getChartJs',
    'getRepeatPurchase',
    'getCustomerSegments',
    'getBoughtTogether',
    'getPromotionCost',
  ];
  expect([...main, ...typedSince].filter((id) => !checked.has(id))).toEqual([]);
});
