// Repeat purchase, RFM segments, products bought together and promotion cost (docs/analytics.md,
// decision 073) on the real API: numbers computed by hand from planted read-model rows, each test
// with merchants of its own (so other files' orders never mix in), merchant isolation, CSV, the
// response schemas, and bad parameters named.
import { expectOk, expectProblem, send } from './api-helpers';
import { KEYS, useStack } from '../helpers/stack';
import {
  boughtTogetherReportSchema,
  customerSegmentsReportSchema,
  promotionCostReportSchema,
  repeatPurchaseReportSchema,
} from '../../api/schemas';
import { plantMerchant, plantOrder, plantPayment, plantRefund, rid, setStatus } from '../helpers/analytics-rows';

const stack = useStack({ worker: false });
const get = (url: string, key: string = KEYS.support) => send(stack.app, 'GET', url, key);
const DAY = 86_400_000;

/** One order of one SKU at `total` for a customer at an instant. */
const buy = (merchantId: string, customerId: string, createdAt: Date, total: number, channel = 'app') =>
  plantOrder(stack.db, {
    merchantId,
    customerId,
    channel,
    createdAt,
    lines: [{ sku: 'SKU-R', quantity: 1, unitPrice: total }],
  });

test('repeat purchase: customers first seen in the period, by local day, and who came back', async () => {
  const m = rid('m-repeat');
  const other = rid('m-repeat-other');
  await plantMerchant(stack.db, m);
  await plantMerchant(stack.db, other);
  const c = (n: string) => `${m}-${n}`;
  const at = (iso: string) => new Date(iso);
  // Shanghai is UTC+8. c1: 1 May 10:00, again 2 May (web). c2: 1 May 23:30, again in June.
  await buy(m, c('c1'), at('2020-05-01T02:00:00Z'), 1000);
  await buy(m, c('c1'), at('2020-05-02T03:00:00Z'), 1000, 'web');
  await buy(m, c('c2'), at('2020-05-01T15:30:00Z'), 1000);
  await buy(m, c('c2'), at('2020-06-10T03:00:00Z'), 1000);
  // c3: 3 May 00:30 in Shanghai (still 2 May in UTC). c4: once on 2 May, a second order cancelled.
  await buy(m, c('c3'), at('2020-05-02T16:30:00Z'), 1000);
  await buy(m, c('c4'), at('2020-05-02T01:00:00Z'), 1000);
  await setStatus(stack.db, await buy(m, c('c4'), at('2020-05-02T05:00:00Z'), 1000), 'cancelled');
  // c5 first bought in April: not new in May. c1 at another merchant: that merchant's customer.
  await buy(m, c('c5'), at('2020-04-20T02:00:00Z'), 1000);
  await buy(m, c('c5'), at('2020-05-01T05:00:00Z'), 1000);
  await buy(other, c('c1'), at('2020-05-01T01:00:00Z'), 1000);

  const q = `from=2020-05-01&to=2020-05-03&merchantId=${m}`;
  const shanghai = repeatPurchaseReportSchema.parse(expectOk(await get(`/v1/analytics/customers/repeat?${q}`)));
  expect(shanghai.rows).toEqual([row('2020-05-01', 2, 1, 2), row('2020-05-02', 1, 0, 0)]);
  expect(shanghai.total).toEqual({
    newCustomers: 3,
    repeatedInPeriod: 1,
    repeatedToDate: 2,
    repeatRateInPeriod: 0.3333,
    repeatRateToDate: 0.6667,
  });
  const utc = expectOk(await get(`/v1/analytics/customers/repeat?${q}&timezone=UTC`));
  expect(utc.rows).toEqual([row('2020-05-01', 2, 1, 2), row('2020-05-02', 2, 0, 0)]);
  // Through the app alone c1 bought once: its second order was on the web.
  const app = expectOk(await get(`/v1/analytics/customers/repeat?${q}&channel=app`));
  expect(app.rows).toEqual([row('2020-05-01', 2, 0, 1), row('2020-05-02', 1, 0, 0)]);
  const elsewhere = expectOk(
    await get(`/v1/analytics/customers/repeat?from=2020-05-01&to=2020-05-03&merchantId=${other}`),
  );
  expect(elsewhere.total).toMatchObject({ newCustomers: 1, repeatedToDate: 0 });

  const csv = await get(`/v1/analytics/customers/repeat?${q}&format=csv`);
  expect(csv.headers['content-type']).toMatch(/^text\/csv/);
  expect(csv.body).toBe(
    'bucket,newCustomers,repeatedInPeriod,repeatedToDate,repeatRateInPeriod,repeatRateToDate\r\n' +
      '2020-05-01,2,1,2,0.5,1\r\n2020-05-02,1,0,0,0,0\r\n',
  );
  expectProblem(await get(`/v1/analytics/customers/repeat?${q}`, KEYS.merchant), 403, '/problems/forbidden');
  const own = expectOk(await get('/v1/analytics/customers/repeat?from=2020-05-01&to=2020-05-03', KEYS.merchant));
  expect(own).toMatchObject({ filters: { merchantId: 'm-demo' }, rows: [] });
});

function row(bucket: string, newCustomers: number, inPeriod: number, toDate: number) {
  const rate = (n: number) => (newCustomers ? Math.round((n / newCustomers) * 10_000) / 10_000 : null);
  return {
    bucket,
    newCustomers,
    repeatedInPeriod: inPeriod,
    repeatedToDate: toDate,
    repeatRateInPeriod: rate(inPeriod),
    repeatRateToDate: rate(toDate),
  };
}

test('RFM segments as of now: scores by the documented thresholds, customers and revenue per segment', async () => {
  const m = rid('m-rfm');
  await plantMerchant(stack.db, m);
  const ago = (days: number) => new Date(Date.now() - days * DAY);
  const orders = async (customer: string, daysAgo: number[], total = 1000, channel = 'app') => {
    for (const d of daysAgo) await buy(m, `${m}-${customer}`, ago(d), total, channel);
  };
  await orders('champion', [5, 10, 20, 40], 30_000); // R 5, F 4, M 4 (¥1,200)
  await orders('loyal', [70, 80, 85]); // R 3, F 3
  await orders('new', [3], 5000, 'web'); // R 5, F 1
  await orders('promising', [10, 20]); // R 5, F 2
  await orders('at-risk', [100, 120]); // R 2, F 2
  await orders('hibernating', [150]); // R 2, F 1
  await orders('lost', [200, 220, 240, 260, 280]); // R 1
  // Another new customer: ¥200 less a ¥50 refund; a cancelled order counts for nothing.
  const refunded = await buy(m, `${m}-refunded`, ago(2), 20_000);
  await plantRefund(stack.db, refunded, await plantPayment(stack.db, refunded, 20_000), 5000);
  await setStatus(stack.db, await buy(m, `${m}-refunded`, ago(1), 7000), 'cancelled');

  const res = customerSegmentsReportSchema.parse(
    expectOk(await get(`/v1/analytics/customers/segments?merchantId=${m}`)),
  );
  const seg = (segment: string, customers: number, orders: number, revenue: number) => ({
    segment,
    customers,
    customerShare: Math.round((customers / 8) * 10_000) / 10_000,
    orders,
    revenue,
    revenueShare: Math.round((revenue / 153_000) * 10_000) / 10_000,
    avgRevenue: customers ? Math.round(revenue / customers) : null,
  });
  expect(res.rows).toEqual([
    seg('champions', 1, 4, 120_000),
    seg('loyal', 1, 3, 3000),
    seg('new', 2, 2, 20_000),
    seg('promising', 1, 2, 2000),
    seg('at_risk', 1, 2, 2000),
    seg('hibernating', 1, 1, 1000),
    seg('lost', 1, 5, 5000),
  ]);
  const web = expectOk(await get(`/v1/analytics/customers/segments?merchantId=${m}&channel=web`));
  expect(web.rows.filter((r: { customers: number }) => r.customers > 0)).toEqual([
    expect.objectContaining({ segment: 'new', customers: 1, revenue: 5000, customerShare: 1 }),
  ]);
  const csv = await get(`/v1/analytics/customers/segments?merchantId=${m}&channel=web&format=csv`);
  expect(csv.body.split('\r\n').slice(0, 4)).toEqual([
    'segment,customers,customerShare,orders,revenue,revenueShare,avgRevenue',
    'champions,0,0,0,0,0,',
    'loyal,0,0,0,0,0,',
    'new,1,1,1,5000,1,5000',
  ]);
  expectProblem(
    await get(`/v1/analytics/customers/segments?merchantId=${m}`, KEYS.merchant),
    403,
    '/problems/forbidden',
  );
  const own = expectOk(await get('/v1/analytics/customers/segments', KEYS.merchant));
  expect(own.filters.merchantId).toBe('m-demo');
});

test('products bought together: top N per SKU with support, confidence and lift (hand-computed)', async () => {
  const m = rid('m-basket');
  const other = rid('m-basket-other');
  await plantMerchant(stack.db, m);
  await plantMerchant(stack.db, other);
  const basket = (merchantId: string, skus: string[], gift?: string) =>
    plantOrder(stack.db, {
      merchantId,
      createdAt: new Date('2020-08-01T02:00:00Z'),
      lines: [
        ...skus.map((sku) => ({ sku, quantity: 1, unitPrice: 1000 })),
        ...(gift ? [{ sku: gift, quantity: 1, unitPrice: 0, gift: true }] : []),
      ],
    });
  await basket(m, ['X', 'Y']);
  await basket(m, ['X', 'Y', 'Z']);
  await basket(m, ['X', 'Z']);
  await basket(m, ['Y']);
  await basket(m, ['X'], 'G'); // a gift line is not bought
  await setStatus(stack.db, await basket(m, ['X', 'Y']), 'cancelled');
  await basket(other, ['X', 'Y']);
  await basket(other, ['X', 'Y']);
  // 5 orders count: X in 4, Y in 3, Z in 2; X+Y in 2, X+Z in 2, Y+Z in 1.
  const res = boughtTogetherReportSchema.parse(
    expectOk(await get(`/v1/analytics/products/bought-together?merchantId=${m}`)),
  );
  const pair = (sku: string, rank: number, alsoBought: string, orders: number, skuOrders: number, lift: number) => ({
    merchantId: m,
    sku,
    rank,
    alsoBought,
    orders,
    skuOrders,
    support: orders / 5,
    confidence: Math.round((orders / skuOrders) * 10_000) / 10_000,
    lift,
  });
  expect(res.rows).toEqual([
    pair('X', 1, 'Y', 2, 4, 0.8333), // 2 × 5 / (4 × 3)
    pair('X', 2, 'Z', 2, 4, 1.25), // 2 × 5 / (4 × 2)
    pair('Y', 1, 'X', 2, 3, 0.8333),
    pair('Y', 2, 'Z', 1, 3, 0.8333), // 1 × 5 / (3 × 2)
    pair('Z', 1, 'X', 2, 2, 1.25),
    pair('Z', 2, 'Y', 1, 2, 0.8333),
  ]);
  const top = expectOk(await get(`/v1/analytics/products/bought-together?merchantId=${m}&limit=1`));
  expect(top.rows.map((r: { sku: string; alsoBought: string }) => `${r.sku}>${r.alsoBought}`)).toEqual([
    'X>Y',
    'Y>X',
    'Z>X',
  ]);
  const text = await send(
    stack.app,
    'GET',
    `/v1/analytics/products/bought-together?merchantId=${m}&sku=Z`,
    KEYS.support,
    undefined,
    {
      accept: 'text/csv',
    },
  );
  expect(text.body).toBe(
    'merchantId,sku,rank,alsoBought,orders,skuOrders,support,confidence,lift\r\n' +
      `${m},Z,1,X,2,2,0.4,1,1.25\r\n${m},Z,2,Y,1,2,0.2,0.5,0.8333\r\n`,
  );
  // The other merchant's baskets: X and Y always together.
  const theirs = expectOk(await get(`/v1/analytics/products/bought-together?merchantId=${other}&sku=X`));
  expect(theirs.rows).toEqual([expect.objectContaining({ alsoBought: 'Y', orders: 2, confidence: 1, lift: 1 })]);
  expectProblem(
    await get(`/v1/analytics/products/bought-together?merchantId=${m}`, KEYS.merchant),
    403,
    '/problems/forbidden',
  );
  const own = expectOk(await get('/v1/analytics/products/bought-together', KEYS.merchant));
  expect(own.rows.every((r: { merchantId: string }) => r.merchantId === 'm-demo')).toBe(true);
});

test('promotion cost per promotion, coupon template and points, and the uplift of the promotion window', async () => {
  const { db } = stack;
  const m = rid('m-promo');
  await plantMerchant(db, m);
  const code = rid('SPRING');
  const promotionId = rid('promo');
  await db.promotion.create({
    data: {
      id: promotionId,
      code,
      merchantId: m,
      name: 'Spring sale',
      rule: { kind: 'amount_off', amount: 1000, per: 'order' },
      startsAt: new Date('2020-07-10T00:00:00Z'),
      endsAt: new Date('2020-07-12T00:00:00Z'),
    },
  });
  const template = rid('tpl');
  await db.couponTemplate.create({
    data: {
      id: template,
      merchantId: m,
      name: '¥5 off',
      kind: 'amount',
      amount: 500,
      startsAt: new Date('2020-01-01T00:00:00Z'),
      endsAt: new Date('2021-01-01T00:00:00Z'),
    },
  });
  const coupon = rid('CPN');
  await db.customer.upsert({
    where: { id: 'c-analytics' },
    create: { id: 'c-analytics', name: 'Analytics', phone: '13800000000' },
    update: {},
  });
  await db.coupon.create({
    data: { code: coupon, customerId: 'c-analytics', amount: 500, currency: 'CNY', templateId: template },
  });
  const at = (iso: string) => new Date(iso);
  const promo = (lineNo: number, amount: number) => ({ source: 'promotion', code, promotionId, lineNo, amount });
  const order = (createdAt: Date, unitPrices: number[], discounts: number[], adjustments: object[] = []) =>
    plantOrder(db, {
      merchantId: m,
      createdAt,
      lines: unitPrices.map((unitPrice, i) => ({ sku: `P${i}`, quantity: 1, unitPrice, discount: discounts[i] ?? 0 })),
      adjustments: adjustments as never,
    });
  await order(at('2020-07-09T10:00:00Z'), [1000], []); // before the window
  await order(at('2020-07-10T05:00:00Z'), [10_000], [1000], [promo(1, 1000)]);
  await order(
    at('2020-07-10T06:00:00Z'),
    [3000, 3000],
    [300, 200],
    [promo(1, 300), promo(2, 200), { source: 'points', code: 'points', lineNo: 1, amount: 200 }],
  );
  await order(at('2020-07-11T01:00:00Z'), [2000], []);
  await order(at('2020-07-11T02:00:00Z'), [4000], [500], [{ source: 'coupon', code: coupon, lineNo: 1, amount: 500 }]);
  // Cancelled: the discount went back (not a cost), but the order was placed in the window.
  await setStatus(db, await order(at('2020-07-11T03:00:00Z'), [5700], [700], [promo(1, 700)]), 'cancelled');

  const res = promotionCostReportSchema.parse(
    expectOk(await get(`/v1/analytics/promotions?from=2020-07-01&to=2020-08-01&merchantId=${m}`)),
  );
  const none = {
    windowFrom: null,
    windowTo: null,
    windowOrders: null,
    windowGmv: null,
    priorOrders: null,
    priorGmv: null,
    ordersUplift: null,
    gmvUplift: null,
  };
  expect(res.rows).toEqual([
    {
      source: 'promotion',
      code,
      name: 'Spring sale',
      orders: 2,
      discount: 1500,
      discountPerOrder: 750,
      units: 0,
      gmv: 9000 + 5500,
      // In the window 5 orders (the cancelled one too, as in sales) for 25000; the 2 days before: 1 for 1000.
      windowFrom: '2020-07-10T00:00:00.000Z',
      windowTo: '2020-07-12T00:00:00.000Z',
      windowOrders: 5,
      windowGmv: 25_000,
      priorOrders: 1,
      priorGmv: 1000,
      ordersUplift: 4,
      gmvUplift: 24,
    },
    {
      source: 'coupon',
      code: template,
      name: null,
      orders: 1,
      discount: 500,
      discountPerOrder: 500,
      units: 0,
      gmv: 3500,
      ...none,
    },
    {
      source: 'points',
      code: 'points',
      name: null,
      orders: 1,
      discount: 200,
      discountPerOrder: 200,
      units: 0,
      gmv: 5500,
      ...none,
    },
  ]);
  const csv = await get(`/v1/analytics/promotions?from=2020-07-01&to=2020-08-01&merchantId=${m}&format=csv`);
  expect(csv.body.split('\r\n')[2]).toBe(`coupon,${template},,1,500,500,0,3500,,,,,,,,`);
  expectProblem(await get(`/v1/analytics/promotions?merchantId=${m}`, KEYS.merchant), 403, '/problems/forbidden');
});

test('bad parameters are 400 naming the field', async () => {
  const bad: Array<[string, string]> = [
    ['/v1/analytics/customers/repeat?from=2020-02-01&to=2020-01-01', 'to'],
    ['/v1/analytics/customers/repeat?bucket=week', 'bucket'],
    ['/v1/analytics/customers/repeat?timezone=Asia/Kolkata', 'timezone'],
    ['/v1/analytics/customers/segments?paymentMethod=bitcoin', 'paymentMethod'],
    ['/v1/analytics/customers/segments?format=xml', 'format'],
    ['/v1/analytics/products/bought-together?limit=0', 'limit'],
    ['/v1/analytics/products/bought-together?limit=101', 'limit'],
    ['/v1/analytics/products/bought-together?sku=', 'sku'],
    ['/v1/analytics/promotions?limit=many', 'limit'],
    ['/v1/analytics/promotions?from=2019-01-01&to=2020-06-01', 'to'],
  ];
  for (const [url, field] of bad) expectProblem(await get(url), 400, '/problems/validation-error', [field]);
});
