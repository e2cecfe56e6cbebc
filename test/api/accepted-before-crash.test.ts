import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createSku } from '../helpers/catalog';
import { orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';

const stack = useStack();

test('an order recorded by an API that could not start it is started as accepted by the replay', async () => {
  const { db } = stack;
  const sku = await createSku(db, { price: 1200, stock: { 'wh-shanghai': 3 } });
  const body = orderBody({ lines: [{ sku, quantity: 2 }] });
  const key = randomUUID();

  // An API whose Temporal is unreachable: it records the order with its key, then cannot start it.
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 }) });
  const broken = await buildApp({
    config: loadConfig({ TASK_QUEUE: stack.taskQueue, PRICING_PROMOTIONS: stack.config.PRICING_PROMOTIONS }),
    db,
    temporal: unreachable,
  });
  const first = await submitOrder(broken, body, key);
  await broken.close();
  expect(first.res.statusCode).toBe(503);
  const record = await db.idempotencyRecord.findFirstOrThrow({ where: { key } });
  expect(await db.order.findUnique({ where: { id: record.resourceId } })).toMatchObject({
    status: 'submitted',
    total: 2400,
  });

  // Prices change before the client retries; the retry starts the order that was accepted.
  await db.product.update({ where: { sku }, data: { priceAmount: 9999 } });
  const retry = await submitOrder(stack.app, body, key);
  expect(retry.res.statusCode).toBe(200);
  expect(retry.body.id).toBe(record.resourceId);
  const order = await waitForStatus(stack.app, record.resourceId, 'fulfilling');
  expect(order.totals.total).toBe(2400);
  expect(order.payments[0]).toMatchObject({ status: 'authorized', amount: 2400 });
  expect(await db.order.count({ where: { id: record.resourceId } })).toBe(1);
});
