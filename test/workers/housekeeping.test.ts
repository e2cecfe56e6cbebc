// docs/api.md, "Idempotency": keys are remembered IDEMPOTENCY_RETENTION_HOURS; after that a retry is a
// new request. A key whose order was accepted but never started is kept, as its retry starts the order.
// Real API, database and Temporal; records are aged by moving their created_at back.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { expireIdempotencyRecords } from '../../store/retention';
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

test("a worker's housekeeping deletes expired keys on its own", async () => {
  const sku = await createSku(stack.db, { stock: { 'wh-shanghai': 0 } });
  const key = randomUUID();
  expectOk(await restock(sku, key));
  await age(key, RETENTION_HOURS + 1);
  const housekeeping = startHousekeeping({
    db: stack.db,
    config: { IDEMPOTENCY_RETENTION_HOURS: RETENTION_HOURS, HOUSEKEEPING_INTERVAL_SECONDS: 1 },
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
