// Analytics endpoints (docs/analytics.md) on the real stack: numbers from planted read-model rows
// (in 2020, a period no other test writes to), merchant isolation, time-zone buckets across midnight,
// stock cover and reorder suggestions computed by hand, CSV, and bad parameters named.
import { expectOk, expectProblem, send } from './api-helpers';
import { KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';
import {
  plantMerchant,
  plantOrder,
  plantPayment,
  plantRefund,
  plantShipment,
  plantAfterSales,
  rid,
  setLine,
  setStatus,
} from '../helpers/analytics-rows';

const stack = useStack();
const OTHER = rid('m-other');
const JAN = 'from=2020-01-01&to=2020-02-01';

beforeAll(async () => {
  const { db } = stack;
  await plantMerchant(db, OTHER);
  // Shanghai is UTC+8: 15:30Z is 23:30 on the 10th there, 16:30Z is 00:30 on the 11th.
  const late = await plantOrder(db, {
    merchantId: 'm-demo',
    createdAt: new Date('2020-01-10T15:30:00Z'),
    lines: [{ sku: 'SKU-TEA-001', quantity: 2, unitPrice: 1000 }],
    shippingFee: 500,
  });
  const pay = await plantPayment(db, late, 2500);
  await plantRefund(db, late, pay, 700);
  const early = await plantOrder(db, {
    merchantId: 'm-demo',
    channel: 'mini_program',
    createdAt: new Date('2020-01-10T16:30:00Z'),
    lines: [
      { sku: 'SKU-TEA-001', quantity: 1, unitPrice: 1000, discount: 100 },
      { sku: 'SKU-GIFT', quantity: 1, unitPrice: 0, gift: true },
    ],
  });
  await setStatus(db, early, 'cancelled', 'customer changed mind');
  await plantOrder(db, {
    merchantId: OTHER,
    createdAt: new Date('2020-01-10T12:00:00Z'),
    lines: [{ sku: 'SKU-OTHER', quantity: 5, unitPrice: 99_900 }],
  });
});

const get = (url: string, key: string = KEYS.support) => send(stack.app, 'GET', url, key);

test('sales per day in Asia/Shanghai (the default) split orders at local midnight; in UTC they share a day', async () => {
  const shanghai = expectOk(await get(`/v1/analytics/sales?${JAN}&merchantId=m-demo`));
  expect(shanghai.period).toMatchObject({ timezone: 'Asia/Shanghai', from: '2019-12-31T16:00:00.000Z' });
  expect(shanghai.rows).toEqual([
    { bucket: '2020-01-10', orders: 1, units: 2, gmv: 2500, aov: 2500, refunded: 700, netSales: 1800 },
    { bucket: '2020-01-11', orders: 1, units: 1, gmv: 900, aov: 900, refunded: 0, netSales: 0 },
  ]);
  const utc = expectOk(await get(`/v1/analytics/sales?${JAN}&merchantId=m-demo&timezone=UTC`));
  expect(utc.rows).toEqual([
    { bucket: '2020-01-10', orders: 2, units: 3, gmv: 3400, aov: 1700, refunded: 700, netSales: 1800 },
  ]);
  const hourly = expectOk(
    await get('/v1/analytics/sales?from=2020-01-10T23&to=2020-01-11T01&bucket=hour&merchantId=m-demo'),
  );
  expect(hourly.rows.map((r: { bucket: string }) => r.bucket)).toEqual(['2020-01-10T23:00', '2020-01-11T00:00']);
  const byChannel = expectOk(await get(`/v1/analytics/sales?${JAN}&merchantId=m-demo&timezone=UTC&by=channel`));
  expect(byChannel.rows.map((r: { channel: string; orders: number }) => [r.channel, r.orders])).toEqual([
    ['app', 1],
    ['mini_program', 1],
  ]);
});

test('a merchant sees only its own numbers; asking for another merchant is 403', async () => {
  const own = expectOk(await get(`/v1/analytics/sales?${JAN}&timezone=UTC`, KEYS.merchant));
  expect(own.filters.merchantId).toBe('m-demo');
  expect(own.rows).toEqual([expect.objectContaining({ orders: 2, gmv: 3400 })]);
  const all = expectOk(await get(`/v1/analytics/sales?${JAN}&timezone=UTC`));
  expect(all.rows).toEqual([expect.objectContaining({ orders: 3, gmv: 3400 + 499_500 })]);
  expectProblem(await get(`/v1/analytics/sales?${JAN}&merchantId=${OTHER}`, KEYS.merchant), 403, '/problems/forbidden');
  expectProblem(
    await get(`/v1/analytics/products/top?${JAN}&merchantId=${OTHER}`, KEYS.merchant),
    403,
    '/problems/forbidden',
  );
  const top = expectOk(await get(`/v1/analytics/products/top?${JAN}`, KEYS.merchant));
  expect(top.rows.map((r: { sku: string }) => r.sku)).toEqual(['SKU-TEA-001']);
  expectProblem(await get(`/v1/analytics/sales`, KEYS.platform), 403, '/problems/forbidden');
});

test('funnel, cancellations and top products of the planted month', async () => {
  const funnel = expectOk(await get(`/v1/analytics/funnel?${JAN}&merchantId=m-demo`));
  expect(funnel.rows.map((r: { stage: string; orders: number }) => [r.stage, r.orders])).toEqual([
    ['submitted', 2],
    ['paid', 1],
    ['shipped', 0],
    ['delivered', 0],
    ['completed', 0],
    ['cancelled', 1],
    ['rejected', 0],
  ]);
  expect(funnel.rows[1]).toMatchObject({ rateFromPrevious: 0.5, rateFromSubmitted: 0.5 });
  const reasons = expectOk(await get(`/v1/analytics/cancellations?${JAN}&merchantId=m-demo`));
  expect(reasons.rows).toEqual([{ outcome: 'cancelled', reason: 'customer changed mind', orders: 1, gmv: 900 }]);
  const top = expectOk(await get(`/v1/analytics/products/top?${JAN}&metric=units`));
  expect(top.rows.map((r: { sku: string; units: number; revenue: number }) => [r.sku, r.units, r.revenue])).toEqual([
    ['SKU-OTHER', 5, 499_500],
    ['SKU-TEA-001', 3, 2900],
  ]);
});

test('CSV export by ?format=csv and by Accept: text/csv', async () => {
  const res = await get(`/v1/analytics/sales?${JAN}&merchantId=m-demo&format=csv`);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/csv/);
  expect(res.body).toBe(
    'bucket,orders,units,gmv,aov,refunded,netSales\r\n2020-01-10,1,2,2500,2500,700,1800\r\n2020-01-11,1,1,900,900,0,0\r\n',
  );
  const accepted = await send(
    stack.app,
    'GET',
    `/v1/analytics/cancellations?${JAN}&merchantId=m-demo`,
    KEYS.support,
    undefined,
    {
      accept: 'text/csv',
    },
  );
  expect(accepted.body).toBe('outcome,reason,orders,gmv\r\ncancelled,customer changed mind,1,900\r\n');
});

test('bad parameters are 400 naming the field', async () => {
  const bad: Array<[string, string]> = [
    ['/v1/analytics/sales?from=2020-02-01&to=2020-01-01', 'to'],
    ['/v1/analytics/sales?from=2019-01-01&to=2020-06-01', 'to'],
    ['/v1/analytics/sales?from=2020-01-01&to=2020-03-01&bucket=hour', 'to'],
    ['/v1/analytics/sales?bucket=week', 'bucket'],
    ['/v1/analytics/sales?timezone=Mars/Olympus', 'timezone'],
    ['/v1/analytics/sales?timezone=Asia/Kolkata', 'timezone'],
    ['/v1/analytics/sales?from=yesterday', 'from'],
    ['/v1/analytics/sales?paymentMethod=bitcoin', 'paymentMethod'],
    ['/v1/analytics/sales?by=sku', 'by'],
    ['/v1/analytics/products/top?metric=profit', 'metric'],
    ['/v1/analytics/after-sales?limit=0', 'limit'],
  ];
  for (const [url, field] of bad) expectProblem(await get(url), 400, '/problems/validation-error', [field]);
});

test('stock cover and reorder suggestions follow the merchant policy (hand-computed)', async () => {
  const { db } = stack;
  const m = rid('m-stock');
  const sku = rid('SKU-CUP');
  await plantMerchant(db, m, {
    replenishLeadTimeDays: 5,
    replenishSafetyStockDays: 2,
    replenishReviewDays: 7,
    replenishVelocityWindowDays: 10,
  });
  await db.product.create({ data: { sku, merchantId: m, name: 'Cup', priceAmount: 100 } });
  await db.inventory.createMany({
    data: [
      { sku, warehouseId: 'wh-shanghai', onHand: 30 },
      { sku, warehouseId: 'wh-beijing', onHand: 9, reserved: 2, allocated: 2 },
      { sku, warehouseId: 'wh-guangzhou', onHand: 4 },
    ],
  });
  const ship = async (warehouseId: string, quantity: number, daysAgo: number) => {
    const createdAt = new Date(Date.now() - daysAgo * 86_400_000);
    const orderId = await plantOrder(db, { merchantId: m, createdAt, lines: [{ sku, quantity, unitPrice: 100 }] });
    await plantShipment(db, {
      orderId,
      seq: 1,
      warehouseId,
      courier: 'sf-express',
      createdAt,
      lines: [{ lineNo: 1, sku, quantity }],
    });
  };
  await ship('wh-shanghai', 20, 2); // 2 a day over 10 days
  await ship('wh-beijing', 40, 3); // 4 a day
  await ship('wh-beijing', 99, 12); // outside the 10-day window: not counted
  const res = expectOk(await get(`/v1/analytics/stock-cover?merchantId=${m}`));
  const by = Object.fromEntries(res.rows.map((r: { warehouseId: string }) => [r.warehouseId, r]));
  // Beijing: available 9 - 2 - 2 = 5, cover 5 / 4 = 1.25 days < lead time 5: critical; reorder point
  // ceil(4 × (5 + 2)) = 28; order up to ceil(4 × (5 + 2 + 7)) = 56; suggest 56 - 5 = 51.
  expect(by['wh-beijing']).toMatchObject({
    available: 5,
    unitsShippedInWindow: 40,
    velocityPerDay: 4,
    coverDays: 1.25,
    reorderPoint: 28,
    orderUpTo: 56,
    suggestedQuantity: 51,
    urgency: 'critical',
  });
  // Shanghai: 30 / 2 = 15 days; reorder point 14 < 30: nothing to order.
  expect(by['wh-shanghai']).toMatchObject({
    velocityPerDay: 2,
    coverDays: 15,
    reorderPoint: 14,
    suggestedQuantity: 0,
    urgency: 'ok',
  });
  expect(by['wh-guangzhou']).toMatchObject({ unitsShippedInWindow: 0, urgency: 'no_demand', suggestedQuantity: 0 });
  expect(res.rows[0].warehouseId).toBe('wh-beijing'); // most urgent first
  expectProblem(await get(`/v1/analytics/stock-cover?merchantId=${m}`, KEYS.merchant), 403, '/problems/forbidden');
});

test('after-sales rates per SKU, their root cause by reason, warehouse and courier, and courier performance', async () => {
  const { db } = stack;
  const m = rid('m-as');
  await plantMerchant(db, m);
  const at = (h: number) => new Date(Date.parse('2020-03-05T02:00:00Z') + h * 3_600_000);
  const orders: string[] = [];
  for (let i = 0; i < 4; i++) {
    const id = await plantOrder(db, {
      merchantId: m,
      createdAt: at(0),
      lines: [{ sku: 'SKU-KETTLE', quantity: 2, unitPrice: 5000 }],
    });
    // Two parcels from Shanghai by SF (picked up after 2 h and 4 h, delivered 20 h later), two from
    // Beijing by YTO (one failed attempt each, never picked up in the second case).
    const sf = i < 2;
    await plantShipment(db, {
      orderId: id,
      seq: 1,
      warehouseId: sf ? 'wh-shanghai' : 'wh-beijing',
      courier: sf ? 'sf-express' : 'yto',
      lines: [{ lineNo: 1, sku: 'SKU-KETTLE', quantity: 2 }],
      createdAt: at(1),
      pickedUpAt: sf ? at(1 + 2 * (i + 1)) : i === 2 ? at(9) : undefined,
      deliveredAt: sf ? at(1 + 2 * (i + 1) + 20) : undefined,
      failedAttempts: sf ? 0 : 1,
    });
    await setLine(db, id, 1, { allocated: 2, shipped: 2, delivered: sf ? 2 : 0 });
    orders.push(id);
  }
  await plantAfterSales(db, {
    orderId: orders[0],
    merchantId: m,
    type: 'return',
    reason: 'defective',
    lines: [{ lineNo: 1, sku: 'SKU-KETTLE', quantity: 2 }],
  });
  await setLine(db, orders[0], 1, { returned: 2, refunded: 2 });
  await plantAfterSales(db, {
    orderId: orders[1],
    merchantId: m,
    type: 'exchange',
    reason: 'damaged_in_transit',
    lines: [{ lineNo: 1, sku: 'SKU-KETTLE', quantity: 1 }],
  });
  const q = `from=2020-03-01&to=2020-04-01&merchantId=${m}`;
  const rates = expectOk(await get(`/v1/analytics/after-sales?${q}`));
  expect(rates.rows).toEqual([
    {
      sku: 'SKU-KETTLE',
      unitsSold: 8,
      refundedUnits: 2,
      returnedUnits: 2,
      afterSalesRequests: 2,
      afterSalesUnits: 3,
      refundRate: 0.25,
      returnRate: 0.25,
      afterSalesRate: 0.375,
    },
  ]);
  const reasons = expectOk(await get(`/v1/analytics/after-sales/reasons?${q}`));
  expect(reasons.rows).toEqual([
    {
      sku: 'SKU-KETTLE',
      type: 'return',
      reason: 'defective',
      warehouseId: 'wh-shanghai',
      courier: 'sf-express',
      requests: 1,
      units: 2,
    },
    {
      sku: 'SKU-KETTLE',
      type: 'exchange',
      reason: 'damaged_in_transit',
      warehouseId: 'wh-shanghai',
      courier: 'sf-express',
      requests: 1,
      units: 1,
    },
  ]);
  const couriers = expectOk(await get(`/v1/analytics/couriers?${q}`));
  expect(couriers.rows).toEqual([
    {
      courier: 'sf-express',
      warehouseId: 'wh-shanghai',
      shipments: 2,
      pickedUp: 2,
      avgHoursToPickUp: 3,
      delivered: 2,
      avgHoursToDelivery: 20,
      failedAttempts: 0,
      failedAttemptsPerShipment: 0,
      returnedToSender: 0,
    },
    {
      courier: 'yto',
      warehouseId: 'wh-beijing',
      shipments: 2,
      pickedUp: 1,
      avgHoursToPickUp: 8,
      delivered: 0,
      avgHoursToDelivery: null,
      failedAttempts: 2,
      failedAttemptsPerShipment: 1,
      returnedToSender: 0,
    },
  ]);
});

test('an order driven through the real stack is counted at once, cancelled and paid stages included', async () => {
  const channel = rid('an');
  const { body } = await submitOrder(stack.app, orderBody({ channel }));
  await waitForStatus(stack.app, body.id, 'fulfilling');
  const url = `/v1/analytics/funnel?channel=${channel}&timezone=UTC`;
  const funnel = expectOk(await get(url));
  expect(funnel.rows.slice(0, 2).map((r: { orders: number }) => r.orders)).toEqual([1, 1]);
  const sales = expectOk(await get(`/v1/analytics/sales?channel=${channel}`, KEYS.merchant));
  expect(sales.rows).toEqual([expect.objectContaining({ orders: 1, units: 1, gmv: body.totals.total })]);
});
