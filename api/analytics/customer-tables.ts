import { averageOrderValue, ratio, rfmSegment, rfmSegments, type RfmSegment } from '../../domain';
import type { Db } from '../../store/db';
import { boughtTogether, repeatCohorts, rfmScores } from '../../store/analytics/customer-queries';
import { FAMILIES } from '../../store/analytics/families';
import { promotionWindows, totals, type PromotionWindow, type Scope } from '../../store/analytics/queries';
import type { Table } from './tables';

const num = (v: unknown) => Number(v ?? 0);
const HOUR = 3_600_000;

/** New customers per local day or hour of their first order, and how many came back (docs/analytics.md). */
export async function repeatTable(db: Db, scope: Scope, bucket: 'day' | 'hour'): Promise<Table> {
  const rows = await repeatCohorts(db, scope, bucket);
  return rows.map((r) =>
    repeatRow(String(r.bucket), num(r.new_customers), num(r.repeated_in_period), num(r.repeated_to_date)),
  );
}

function repeatRow(bucket: string | undefined, newCustomers: number, inPeriod: number, toDate: number) {
  return {
    ...(bucket === undefined ? {} : { bucket }),
    newCustomers,
    repeatedInPeriod: inPeriod,
    repeatedToDate: toDate,
    repeatRateInPeriod: ratio(inPeriod, newCustomers),
    repeatRateToDate: ratio(toDate, newCustomers),
  };
}

/** The period's totals of the repeat table. */
export function repeatTotal(rows: Table) {
  const sum = (k: string) => rows.reduce((t, r) => t + num(r[k]), 0);
  return repeatRow(undefined, sum('newCustomers'), sum('repeatedInPeriod'), sum('repeatedToDate'));
}

/** Customers, orders and revenue per RFM segment, every segment listed, as of `now`. */
export async function segmentsTable(
  db: Db,
  filters: Pick<Scope, 'merchantId' | 'channel' | 'paymentMethod'>,
  now = Date.now(),
): Promise<Table> {
  const by = new Map<RfmSegment, { customers: number; orders: number; revenue: number }>(
    rfmSegments.map((s) => [s, { customers: 0, orders: 0, revenue: 0 }]),
  );
  for (const r of await rfmScores(db, filters, now)) {
    const s = by.get(rfmSegment(num(r.r), num(r.f), num(r.m)))!;
    s.customers += num(r.customers);
    s.orders += num(r.orders);
    s.revenue += num(r.monetary);
  }
  const all = [...by.values()].reduce(
    (t, s) => ({ customers: t.customers + s.customers, revenue: t.revenue + s.revenue }),
    {
      customers: 0,
      revenue: 0,
    },
  );
  return [...by].map(([segment, s]) => ({
    segment,
    customers: s.customers,
    customerShare: ratio(s.customers, all.customers),
    orders: s.orders,
    revenue: s.revenue,
    revenueShare: ratio(s.revenue, all.revenue),
    avgRevenue: averageOrderValue(s.revenue, s.customers),
  }));
}

/** "Customers who bought X also bought Y": the top `limit` per SKU with support, confidence and lift. */
export async function boughtTogetherTable(
  db: Db,
  filter: { merchantId?: string; sku?: string; limit: number },
): Promise<Table> {
  return (await boughtTogether(db, filter)).map((r) => {
    const [both, sku, other, all] = [r.both_orders, r.sku_orders, r.other_orders, r.all_orders].map(num);
    return {
      merchantId: r.merchant_id,
      sku: r.sku,
      rank: num(r.rank),
      alsoBought: r.other_sku,
      orders: both,
      skuOrders: sku,
      support: ratio(both, all),
      confidence: ratio(both, sku),
      lift: ratio(both * all, sku * other),
    };
  });
}

/**
 * Discount given per source and code in the period, and for promotions their uplift: orders and GMV
 * of the promotion's window (whole UTC hours, up to now) against the same length just before it.
 */
export async function promotionsTable(db: Db, scope: Scope, limit: number, now = Date.now()): Promise<Table> {
  const rows = (await totals(db, FAMILIES.promotions, scope, ['source', 'code']))
    .filter((r) => num(r.n) > 0)
    .sort((a, b) => num(b.amount) - num(a.amount) || `${a.source}${a.code}`.localeCompare(`${b.source}${b.code}`))
    .slice(0, limit);
  const windows = await promotionWindows(
    db,
    rows.filter((r) => r.source === 'promotion' || r.source === 'shipping').map((r) => String(r.code)),
  );
  return Promise.all(
    rows.map(async (r) => {
      const w = windows.get(String(r.code));
      return {
        source: r.source,
        code: r.code,
        name: w?.name ?? null,
        orders: num(r.n),
        discount: num(r.amount),
        discountPerOrder: averageOrderValue(num(r.amount), num(r.n)),
        units: num(r.units),
        gmv: num(r.gmv),
        ...(await uplift(db, scope, w, now)),
      };
    }),
  );
}

/** Orders and GMV in a promotion's window against the same length before it; nulls without a window. */
async function uplift(db: Db, scope: Scope, w: PromotionWindow | undefined, now: number) {
  const from = w && Math.floor(w.startsAt.getTime() / HOUR) * HOUR;
  const to = w && Math.ceil(Math.min(w.endsAt.getTime(), now) / HOUR) * HOUR;
  if (from === undefined || to === undefined || to <= from)
    return {
      windowFrom: null,
      windowTo: null,
      windowOrders: null,
      windowGmv: null,
      priorOrders: null,
      priorGmv: null,
      ordersUplift: null,
      gmvUplift: null,
    };
  const of = async (a: number, b: number) => {
    const [t] = await totals(db, FAMILIES.sales, {
      ...scope,
      merchantId: w!.merchantId ?? scope.merchantId,
      from: a,
      to: b,
    });
    return { orders: num(t?.n), gmv: num(t?.gmv) };
  };
  const [inside, prior] = await Promise.all([of(from, to), of(2 * from - to, from)]);
  return {
    windowFrom: new Date(from).toISOString(),
    windowTo: new Date(to).toISOString(),
    windowOrders: inside.orders,
    windowGmv: inside.gmv,
    priorOrders: prior.orders,
    priorGmv: prior.gmv,
    ordersUplift: ratio(inside.orders - prior.orders, prior.orders),
    gmvUplift: ratio(inside.gmv - prior.gmv, prior.gmv),
  };
}
