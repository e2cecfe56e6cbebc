// The monthly grain of the SKU families (decision 085): a period crossing UTC month boundaries, in
// Asia/Shanghai and in UTC, reads whole months from the monthly rows and gives the same numbers as the
// daily and hourly rows alone; sales by Shanghai day read from local-day rows equal the hourly rows
// re-bucketed; and the endpoints agree with sums counted by hand.
import { expectOk, send } from './api-helpers';
import { KEYS, useStack } from '../helpers/stack';
import { localToUtc } from '../../domain';
import { FAMILIES, type Family } from '../../store/analytics/families';
import { series, totals, type Scope } from '../../store/analytics/queries';
import { refreshAnalytics } from '../../store/analytics/refresh';
import { plantAfterSales, plantMerchant, plantOrder, rid } from '../helpers/analytics-rows';

const stack = useStack({ worker: false });
const get = (url: string) => send(stack.app, 'GET', url, KEYS.support);

/** Instants on both sides of UTC and Shanghai (UTC+8) midnights at month ends, and at the period's edges. */
const TIMES = [
  '2022-01-19T17:00:00Z', // 20 Jan 01:00 in Shanghai: in the Shanghai period, before the UTC one
  '2022-01-20T03:00:00Z',
  '2022-01-31T15:30:00Z', // 31 Jan 23:30 in Shanghai
  '2022-01-31T16:30:00Z', // 1 Feb 00:30 in Shanghai, still January in UTC
  '2022-02-15T08:00:00Z',
  '2022-02-28T23:30:00Z',
  '2022-03-01T00:30:00Z',
  '2022-03-31T20:00:00Z', // 1 Apr in Shanghai, March in UTC
  '2022-04-09T17:00:00Z', // 10 Apr 01:00 in Shanghai: after the Shanghai period, in the UTC one
  '2022-04-10T01:00:00Z', // after both
];

const withoutMonths = (f: Family): Family => ({ ...f, monthGrain: false });
const bySku = (rows: Array<Record<string, unknown>>) =>
  rows.filter((r) => Number(r.n) !== 0).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

test('a period across month ends: monthly rows give the daily grain numbers, in Shanghai and in UTC', async () => {
  const m = rid('m-grain');
  await plantMerchant(stack.db, m);
  for (const [i, t] of TIMES.entries()) {
    const sku = i % 2 ? 'SKU-G1' : 'SKU-G2';
    const orderId = await plantOrder(stack.db, {
      merchantId: m,
      createdAt: new Date(t),
      lines: [{ sku, quantity: i + 1, unitPrice: 100 * (i + 1) }],
    });
    if (i % 3 === 0)
      await plantAfterSales(stack.db, {
        orderId,
        merchantId: m,
        type: 'return',
        reason: i % 2 ? 'defective' : 'no_reason',
        lines: [{ lineNo: 1, sku, quantity: 1 }],
      });
  }
  await refreshAnalytics(stack.db);
  const months = await stack.db.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM analytics_products WHERE merchant_id = $1 AND grain = 'month'`,
    m,
  );
  expect(months[0].n).toBeGreaterThan(0);

  for (const timeZone of ['Asia/Shanghai', 'UTC']) {
    const scope: Scope = {
      from: localToUtc('2022-01-20', timeZone),
      to: localToUtc('2022-04-10', timeZone),
      timeZone,
      merchantId: m,
    };
    const dims = ['sku', 'type', 'reason', 'warehouse_id', 'courier'];
    for (const [f, groupBy] of [
      [FAMILIES.products, ['sku']],
      [FAMILIES.afterSales, dims],
    ] as const) {
      const monthly = bySku(await totals(stack.db, f, scope, [...groupBy]));
      expect({ timeZone, family: f.name, rows: monthly }).toEqual({
        timeZone,
        family: f.name,
        rows: bySku(await totals(stack.db, withoutMonths(f), scope, [...groupBy])),
      });
      expect(monthly.length).toBeGreaterThan(0);
    }
  }

  // Sales by Shanghai day: whole local days from the local-day rows, a partial first day from hours.
  const salesScope: Scope = {
    from: localToUtc('2022-01-20T05', 'Asia/Shanghai'),
    to: localToUtc('2022-04-10', 'Asia/Shanghai'),
    timeZone: 'Asia/Shanghai',
    merchantId: m,
  };
  const hourly = { ...FAMILIES.sales, localDayZones: [] };
  for (const by of [undefined, 'channel'])
    expect(await series(stack.db, FAMILIES.sales, salesScope, 'day', by)).toEqual(
      await series(stack.db, hourly, salesScope, 'day', by),
    );
  // 20 Jan from 05:00 holds order 1 only (order 0 was at 01:00); order 8 is on 10 Apr, past the end.
  const days = await series(stack.db, FAMILIES.sales, salesScope, 'day');
  expect(days.map((r) => [r.bucket, r.n])).toEqual([
    ['2022-01-20', 1],
    ['2022-01-31', 1],
    ['2022-02-01', 1],
    ['2022-02-15', 1],
    ['2022-03-01', 2],
    ['2022-04-01', 1],
  ]);

  // By hand: Shanghai counts orders 0–7 (units 1…8), UTC orders 1–8 (units 2…9).
  const top = async (tz: string) =>
    expectOk(await get(`/v1/analytics/products/top?from=2022-01-20&to=2022-04-10&merchantId=${m}&timezone=${tz}`))
      .rows as Array<{ sku: string; units: number; orders: number }>;
  const units = (rows: Array<{ units: number }>) => rows.reduce((s, r) => s + r.units, 0);
  expect(units(await top('Asia/Shanghai'))).toBe(1 + 2 + 3 + 4 + 5 + 6 + 7 + 8);
  expect(units(await top('UTC'))).toBe(2 + 3 + 4 + 5 + 6 + 7 + 8 + 9);
  const asked = expectOk(
    await get(`/v1/analytics/after-sales?from=2022-01-20&to=2022-04-10&merchantId=${m}&timezone=UTC`),
  ).rows as Array<{ afterSalesRequests: number }>;
  // Requests on orders 0, 3, 6 and 9: in UTC only 3 and 6 fall in the period.
  expect(asked.reduce((s, r) => s + r.afterSalesRequests, 0)).toBe(2);
});

test('top products and root causes ranked in SQL keep every tie at the limit for the final order', async () => {
  const m = rid('m-ties');
  await plantMerchant(stack.db, m);
  for (const sku of ['SKU-T3', 'SKU-T1', 'SKU-T2']) {
    const orderId = await plantOrder(stack.db, {
      merchantId: m,
      createdAt: new Date('2022-06-01T03:00:00Z'),
      lines: [{ sku, quantity: 2, unitPrice: 500 }],
    });
    await plantAfterSales(stack.db, {
      orderId,
      merchantId: m,
      type: 'return',
      reason: 'defective',
      lines: [{ lineNo: 1, sku, quantity: 1 }],
    });
  }
  const q = `from=2022-06-01&to=2022-06-02&merchantId=${m}`;
  const top = expectOk(await get(`/v1/analytics/products/top?${q}&limit=1`)).rows as Array<{ sku: string }>;
  expect(top.map((r) => r.sku)).toEqual(['SKU-T1']);
  const reasons = expectOk(await get(`/v1/analytics/after-sales/reasons?${q}&limit=2`)).rows as Array<{ sku: string }>;
  expect(reasons.map((r) => r.sku)).toEqual(['SKU-T1', 'SKU-T2']);
});
