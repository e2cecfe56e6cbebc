// docs/api.md, "Idempotency": keys are remembered IDEMPOTENCY_RETENTION_HOURS; after that a retry is a
// new request. A key whose order was accepted but never started is kept, as its retry starts the order.
// Real API, database and Temporal; records are aged by moving their created_at back.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { expireIdempotencyRecords, expireOutboundEvents } from '../../store/retention';
import { startHousekeeping } from '../../workers/housekeeping';
import { eventually, expectOk, send } from '../api/api-helpers';
import { createSku, stockOf } from '../helpers/catalog';
import { KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';

const stack = useStack();
const RETENTION_HOURS = 72;

const restock = (sku: string, key: string) =>
  send(
    stack.app,
    'POST',
    `/v1/inventory/${sku}/restock`,
    KEYS.merchant,
    { warehouseId: 'wh-shanghai', quantity: 5 },
    {
      'idempotency-key': key,
    },
  );

/** Moves a key's record back in time by `hours`. */
const age = (key: string, hours: number) =>
  stack.db
    .$executeRaw`UPDATE idempotency_records SET created_at = now() - make_interval(hours => ${hours}::int) WHERE key = ${key}`;

test('a restock key is remembered within its retention and forgotten after it: the retry is then a new restock', async () => {
  const sku = await createSku(stack.db, { stock: { 'wh-shanghai': 0 } });
  const key = randomUUID();
  expectOk(await restock(sku, key));
  const replay = await restock(sku, key);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  await age(key, RETENTION_HOURS - 1);
  await expireIdempotencyRecords(stack.db, RETENTION_HOURS);
  expect((await restock(sku, key)).headers['idempotent-replayed']).toBe('true');
  expect((await stockOf(stack.db, sku)).onHand).toBe(5);

  await age(key, RETENTION_HOURS + 1);
  expect(await expireIdempotencyRecords(stack.db, RETENTION_HOURS)).toBeGreaterThanOrEqual(1);
  const after = await restock(sku, key);
  expect(after.statusCode).toBe(200);
  expect(after.headers['idempotent-replayed']).toBeUndefined();
  expect((await stockOf(stack.db, sku)).onHand).toBe(10);
});

test('the key of an order accepted but never started outlives the retention, and its retry starts the order', async () => {
  const sku = await createSku(stack.db, { price: 1500, stock: { 'wh-shanghai': 2 } });
  const body = orderBody({ lines: [{ sku, quantity: 1 }] });
  const key = randomUUID();
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }) });
  const config = loadConfig({ TASK_QUEUE: stack.taskQueue, PRICING_PROMOTIONS: stack.config.PRICING_PROMOTIONS });
  const broken = await buildApp({ config, db: stack.db, temporal: unreachable });
  expect((await submitOrder(broken, body, key)).res.statusCode).toBe(503);
  await broken.close();

  await age(key, RETENTION_HOURS * 10);
  await expireIdempotencyRecords(stack.db, RETENTION_HOURS);
  const record = await stack.db.idempotencyRecord.findFirstOrThrow({ where: { key } });
  const retry = await submitOrder(stack.app, body, key);
  expect(retry.body.id).toBe(record.resourceId);
  await waitForStatus(stack.app, record.resourceId, 'fulfilling');

  // Started, its key expires like any other.
  await expireIdempotencyRecords(stack.db, RETENTION_HOURS);
  expect(await stack.db.idempotencyRecord.count({ where: { key } })).toBe(0);
});

test('outbound events past their retention go with their deliveries and attempts, unless an endpoint still waits for them', async () => {
  const orderId = `ret-${randomUUID()}`;
  const sub = await stack.db.webhookSubscription.create({
    data: {
      id: `whsub_${randomUUID()}`,
      ownerRole: 'platform',
      ownerName: 'dev platform',
      url: 'http://127.0.0.1:9/retention',
      eventTypes: ['*'],
      secret: 'whsec_dGVzdA==',
      enabled: false,
    },
  });
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
  // seq: [days since it occurred, fanned out, its delivery's status (none: no delivery)]
  const events: Array<[number, boolean, string | null]> = [
    [40, true, 'delivered'],
    [40, true, 'failed'],
    [40, true, 'parked'],
    [40, true, 'pending'],
    [40, false, null],
    [10, true, 'delivered'],
  ];
  for (const [i, [days, fannedOut, status]] of events.entries()) {
    const event = await stack.db.outboundEvent.create({
      data: {
        id: `evt_${orderId}_${i + 1}`,
        orderId,
        merchantId: 'm-demo',
        seq: i + 1,
        type: 'order.submitted',
        occurredAt: daysAgo(days),
        payload: {},
        fannedOutAt: fannedOut ? daysAgo(days) : null,
      },
    });
    if (!status) continue;
    const delivery = await stack.db.webhookDelivery.create({
      data: { subscriptionId: sub.id, eventId: event.id, orderId, seq: i + 1, status },
    });
    await stack.db.webhookAttempt.create({ data: { deliveryId: delivery.id, attempt: 1, durationMs: 5 } });
  }

  expect(await expireOutboundEvents(stack.db, 30)).toBeGreaterThanOrEqual(2);
  const kept = await stack.db.outboundEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });
  expect(kept.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
  const deliveries = await stack.db.webhookDelivery.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });
  expect(deliveries.map((d) => d.seq)).toEqual([3, 4, 6]);
  expect(await stack.db.webhookAttempt.count({ where: { delivery: { orderId } } })).toBe(3);
  await stack.db.webhookSubscription.delete({ where: { id: sub.id } });
});

test("a worker's housekeeping deletes expired keys on its own", async () => {
  const sku = await createSku(stack.db, { stock: { 'wh-shanghai': 0 } });
  const key = randomUUID();
  expectOk(await restock(sku, key));
  await age(key, RETENTION_HOURS + 1);
  const housekeeping = startHousekeeping({
    db: stack.db,
    config: {
      IDEMPOTENCY_RETENTION_HOURS: RETENTION_HOURS,
      WEBHOOK_EVENT_RETENTION_DAYS: 30,
      HOUSEKEEPING_INTERVAL_SECONDS: 1,
    },
  });
  try {
    await eventually(
      () => stack.db.idempotencyRecord.count({ where: { key } }),
      (n) => n === 0,
      'the expired key deleted by housekeeping',
    );
  } finally {
    await housekeeping.stop();
  }
});
