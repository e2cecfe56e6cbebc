// Property (docs/analytics.md, "Exactness"): after any mix of submissions (by a few customers, some
// with promotions, coupons' and points' adjustments), payments, cancellations, rejections, partial
// refunds, shipments, returns and completions — written as read-model rows, some while a refresh is
// running — the incrementally refreshed rollups equal a full recompute from the raw rows, row for row,
// in every family and grain (monthly rows of the SKU families included), and so do the customer rows
// and the cells kept from them (RFM, repeat-purchase cohorts).
import fc from 'fast-check';
import { createDb, type Db } from '../../store/db';
import { CELLS, CUSTOMER_COLUMNS, customersSql } from '../../store/analytics/customers';
import { ALL_FAMILIES, type Family } from '../../store/analytics/families';
import { recomputeSql, refreshAnalytics, rollupKey } from '../../store/analytics/refresh';
import {
  plantAfterSales,
  plantMerchant,
  plantOrder,
  plantPayment,
  plantRefund,
  plantShipment,
  rid,
  setLine,
  setStatus,
} from '../helpers/analytics-rows';

let db: Db;
beforeAll(() => {
  db = createDb(process.env.TEST_DATABASE_URL!, 6);
});
afterAll(async () => {
  await db.$disconnect();
});

const SKUS = ['SKU-A', 'SKU-B', 'SKU-C'];
// Submissions fall over 3 days from here, across a UTC month's end: monthly rows are compared too.
const BASE = Date.parse('2021-02-27T00:00:00Z');

const line = fc.record({
  sku: fc.constantFrom(...SKUS),
  quantity: fc.integer({ min: 1, max: 4 }),
  unitPrice: fc.integer({ min: 1, max: 5000 }),
});
const adjustment = fc.record({
  source: fc.constantFrom('promotion', 'shipping', 'points'),
  code: fc.constantFrom('SPRING', 'FREESHIP', 'points'),
  amount: fc.integer({ min: 1, max: 500 }),
  lineNo: fc.constant(1),
});
const op = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      minutes: fc.integer({ min: 0, max: 3 * 1440 }),
      channel: fc.constantFrom('app', 'web'),
      method: fc.constantFrom('alipay', 'card'),
      lines: fc.uniqueArray(line, { minLength: 1, maxLength: 3, selector: (l) => l.sku }),
      customer: fc.constantFrom('c1', 'c2', 'c3'),
      adjustments: fc.array(adjustment, { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pay' as const), i: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('cancel' as const, 'reject' as const),
      i: fc.nat(),
      reason: fc.constantFrom('changed mind', 'out of stock', 'fraud'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      i: fc.nat(),
      amount: fc.integer({ min: 1, max: 3000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('ship' as const),
      i: fc.nat(),
      warehouse: fc.constantFrom('wh-shanghai', 'wh-beijing'),
      courier: fc.constantFrom('sf-express', 'yto'),
      picked: fc.boolean(),
      delivered: fc.boolean(),
      failed: fc.integer({ min: 0, max: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('return' as const),
      i: fc.nat(),
      reason: fc.constantFrom('defective', 'no_reason', 'wrong_item'),
      type: fc.constantFrom('return', 'exchange'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('complete' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('refresh' as const) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

interface Planted {
  id: string;
  createdAt: Date;
  lines: Array<{ sku: string; quantity: number }>;
  payment?: string;
  shipments: number;
  delivered?: boolean;
  returned?: number;
}

/** Applies one operation to the read model, as the workflows' projections would. */
async function apply(m: string, orders: Planted[], o: Op): Promise<void> {
  if (o.kind === 'submit') {
    const createdAt = new Date(BASE + o.minutes * 60_000);
    const id = await plantOrder(db, {
      merchantId: m,
      createdAt,
      channel: o.channel,
      paymentMethod: o.method,
      lines: o.lines,
      customerId: `${m}-${o.customer}`,
      adjustments: o.adjustments,
    });
    orders.push({ id, createdAt, lines: o.lines, shipments: 0 });
    return;
  }
  if (o.kind === 'refresh' || orders.length === 0) return;
  const order = orders[o.i % orders.length];
  if (o.kind === 'pay' && !order.payment) order.payment = await plantPayment(db, order.id, 10_000);
  if (o.kind === 'cancel' || o.kind === 'reject')
    await setStatus(db, order.id, o.kind === 'cancel' ? 'cancelled' : 'rejected', o.reason);
  if (o.kind === 'complete') await setStatus(db, order.id, 'completed');
  if (o.kind === 'refund' && order.payment) await plantRefund(db, order.id, order.payment, o.amount);
  if (o.kind === 'ship') {
    order.shipments += 1;
    const at = (h: number) => new Date(order.createdAt.getTime() + h * 3_600_000);
    const lines = order.lines.map((l, n) => ({ lineNo: n + 1, sku: l.sku, quantity: l.quantity }));
    await plantShipment(db, {
      orderId: order.id,
      seq: order.shipments,
      warehouseId: o.warehouse,
      courier: o.courier,
      lines,
      createdAt: at(1),
      pickedUpAt: o.picked ? at(5) : undefined,
      deliveredAt: o.picked && o.delivered ? at(30) : undefined,
      failedAttempts: o.failed,
    });
    order.delivered = order.delivered || (o.picked && o.delivered); // the ledger never goes back
    for (const l of lines)
      await setLine(db, order.id, l.lineNo, {
        allocated: l.quantity,
        shipped: l.quantity,
        delivered: order.delivered ? l.quantity : 0,
      });
  }
  if (o.kind === 'return') {
    const l = order.lines[0];
    await plantAfterSales(db, {
      orderId: order.id,
      merchantId: m,
      type: o.type,
      reason: o.reason,
      lines: [{ lineNo: 1, sku: l.sku, quantity: 1 }],
    });
    // Units come back only once delivered (the ledger's CHECK), one more per return.
    const back = (order.returned ?? 0) + 1;
    if (o.type === 'return' && order.delivered && back <= l.quantity) {
      order.returned = back;
      await setLine(db, order.id, 1, { returned: back, refunded: back });
    }
  }
}

/** A rollup's non-empty rows of one merchant, in a comparable form. */
async function rows(f: Family, from: string, m: string): Promise<string[]> {
  const cols = [...rollupKey(f), ...f.measures];
  const got = await db.$queryRawUnsafe<Array<Record<string, unknown>>>(
    `SELECT ${cols.map((c) => `${c}::text AS ${c}`).join(', ')} FROM (${from}) x WHERE merchant_id = $1 AND n <> 0 ORDER BY ${cols.join(', ')}`,
    m,
  );
  return got.map((r) => cols.map((c) => r[c]).join('|'));
}

/** Rows of one merchant (customers, RFM cells), in a comparable form. */
async function sorted(cols: string[], from: string, m: string): Promise<string[]> {
  const got = await db.$queryRawUnsafe<Array<Record<string, unknown>>>(
    `SELECT ${cols.map((c) => `${c}::text AS ${c}`).join(', ')} FROM (${from}) x
     WHERE merchant_id = $1 ORDER BY ${cols.join(', ')}`,
    m,
  );
  return got.map((r) => cols.map((c) => r[c]).join('|'));
}

test('rollups kept incrementally equal a full recompute from the raw rows', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
      const m = rid('m-prop');
      await plantMerchant(db, m);
      const orders: Planted[] = [];
      for (let k = 0; k < ops.length; k++) {
        // A refresh runs while the next write commits: the write must be in this refresh or the next.
        if (ops[k].kind === 'refresh' && k + 1 < ops.length) {
          await Promise.all([refreshAnalytics(db, 3), apply(m, orders, ops[k + 1])]);
          k += 1;
        } else await apply(m, orders, ops[k]);
      }
      await refreshAnalytics(db);
      for (const f of ALL_FAMILIES) {
        const stored = await rows(f, `SELECT * FROM ${f.rollup}`, m);
        const recomputed = await rows(f, recomputeSql(f, `o.merchant_id = '${m}'`), m);
        expect({ family: f.name, rows: stored }).toEqual({ family: f.name, rows: recomputed });
      }
      const customers = customersSql(`o.merchant_id = '${m}'`);
      expect({ customers: await sorted(CUSTOMER_COLUMNS, 'SELECT * FROM analytics_customers', m) }).toEqual({
        customers: await sorted(CUSTOMER_COLUMNS, customers, m),
      });
      for (const c of CELLS) {
        const stored = `SELECT * FROM ${c.table} WHERE customers <> 0`;
        const cols = [...c.key, ...c.sums];
        expect({ [c.table]: await sorted(cols, stored, m) }).toEqual({
          [c.table]: await sorted(cols, c.sql(`(${customers})`), m),
        });
      }
    }),
    { numRuns: 25 },
  );
}, 240_000);

test('a write marks its order at once while a refresher holds that order’s earlier marks; the new mark is left for the next batch', async () => {
  const m = rid('m-wait');
  await plantMerchant(db, m);
  const orderId = await plantOrder(db, {
    merchantId: m,
    createdAt: new Date(BASE),
    lines: [{ sku: 'SKU-A', quantity: 1, unitPrice: 100 }],
  });
  let took!: () => void;
  const taken = new Promise<void>((resolve) => (took = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  // A refresher's transaction, held open after it deleted the order's marks (as refreshBatch does,
  // for its batch's orders only: other files' orders' marks are left to their own refreshes).
  const refresher = db.$transaction(
    async (tx) => {
      await tx.$queryRaw`DELETE FROM analytics_dirty WHERE order_id = ${orderId} RETURNING order_id`;
      took();
      await released;
    },
    { isolationLevel: 'RepeatableRead', timeout: 30_000 },
  );
  await taken;
  try {
    // The write fails rather than wait: its mark must not queue behind the refresher's DELETE.
    await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '2s'`);
      await tx.$executeRaw`UPDATE orders SET updated_at = now() WHERE id = ${orderId}`; // marks the order
    });
  } finally {
    release();
    await refresher;
  }
  expect(await db.analyticsDirty.count({ where: { orderId } })).toBe(1);
  await refreshAnalytics(db);
  expect(await db.analyticsDirty.count({ where: { orderId } })).toBe(0);
});
