import {
  averageOrderValue,
  ratio,
  reorderSuggestion,
  resolvePolicy,
  type PolicyOverrides,
  type ReplenishmentPolicy,
} from '../../domain';
import type { Db } from '../../store/db';
import { FAMILIES } from '../../store/analytics/families';
import {
  merchantPolicies,
  productNames,
  series,
  shippedUnits,
  stockLevels,
  totals,
  type Scope,
} from '../../store/analytics/queries';

/** One table of an analytics answer: JSON rows, or CSV with the same columns. */
export type Table = Array<Record<string, string | number | null>>;
const num = (v: unknown) => Number(v ?? 0);

/** Sales per local day or hour (optionally split by merchant, channel or payment method). */
export async function salesTable(db: Db, scope: Scope, bucket: 'day' | 'hour', by?: string): Promise<Table> {
  const rows = await series(db, FAMILIES.sales, scope, bucket, by);
  return rows.map((r) => ({
    bucket: r.bucket,
    ...(by ? { [byName(by)]: r[by] } : {}),
    orders: num(r.n),
    units: num(r.units),
    gmv: num(r.gmv),
    aov: averageOrderValue(num(r.gmv), num(r.n)),
    refunded: num(r.refunded),
    netSales: num(r.net_sales),
  }));
}
const byName = (col: string) =>
  ({ merchant_id: 'merchantId', channel: 'channel', payment_method: 'paymentMethod' })[col]!;

const STAGES = ['submitted', 'paid', 'shipped', 'delivered', 'completed'] as const;

/** The funnel of the orders submitted in the period: how many reached each stage. */
export async function funnelTable(db: Db, scope: Scope): Promise<Table> {
  const [t] = await totals(db, FAMILIES.sales, scope);
  const reached = {
    submitted: num(t?.n),
    paid: num(t?.paid),
    shipped: num(t?.shipped),
    delivered: num(t?.delivered),
    completed: num(t?.completed),
  };
  return [
    ...STAGES.map((stage, i) => ({
      stage,
      orders: reached[stage],
      rateFromPrevious: i === 0 ? null : ratio(reached[stage], reached[STAGES[i - 1]]),
      rateFromSubmitted: ratio(reached[stage], reached.submitted),
    })),
    {
      stage: 'cancelled',
      orders: num(t?.cancelled),
      rateFromPrevious: null,
      rateFromSubmitted: ratio(num(t?.cancelled), reached.submitted),
    },
    {
      stage: 'rejected',
      orders: num(t?.rejected),
      rateFromPrevious: null,
      rateFromSubmitted: ratio(num(t?.rejected), reached.submitted),
    },
  ];
}

/** Why orders ended cancelled or rejected, most frequent first. */
export async function cancellationsTable(db: Db, scope: Scope): Promise<Table> {
  const rows = await totals(db, FAMILIES.outcomes, scope, ['outcome', 'reason']);
  return rows
    .map((r) => ({ outcome: r.outcome, reason: r.reason, orders: num(r.n), gmv: num(r.gmv) }))
    .filter((r) => r.orders > 0)
    .sort((a, b) => b.orders - a.orders || String(a.reason).localeCompare(String(b.reason)));
}

/** Best-selling SKUs by revenue or units. */
export async function topProductsTable(
  db: Db,
  scope: Scope,
  metric: 'revenue' | 'units',
  limit: number,
): Promise<Table> {
  const rows = (await totals(db, FAMILIES.products, scope, ['sku'], undefined, { by: [metric], limit }))
    .filter((r) => num(r.n) > 0)
    .sort((a, b) => num(b[metric]) - num(a[metric]) || String(a.sku).localeCompare(String(b.sku)))
    .slice(0, limit);
  const names = await productNames(
    db,
    rows.map((r) => String(r.sku)),
  );
  return rows.map((r, i) => ({
    rank: i + 1,
    sku: r.sku,
    name: names.get(String(r.sku)) ?? null,
    units: num(r.units),
    revenue: num(r.revenue),
    orders: num(r.n),
  }));
}

/** Refund, return and after-sales rates per SKU: the start of a root-cause search. */
export async function afterSalesTable(db: Db, scope: Scope, limit: number): Promise<Table> {
  const [sold, asked] = await Promise.all([
    totals(db, FAMILIES.products, scope, ['sku']),
    totals(db, FAMILIES.afterSales, scope, ['sku']),
  ]);
  const bySku = new Map(asked.map((r) => [String(r.sku), r]));
  return sold
    .filter((r) => num(r.n) > 0)
    .map((r) => {
      const a = bySku.get(String(r.sku));
      const units = num(r.units);
      return {
        sku: r.sku,
        unitsSold: units,
        refundedUnits: num(r.refunded_units),
        returnedUnits: num(r.returned_units),
        afterSalesRequests: num(a?.n),
        afterSalesUnits: num(a?.units),
        refundRate: ratio(num(r.refunded_units), units),
        returnRate: ratio(num(r.returned_units), units),
        afterSalesRate: ratio(num(a?.units), units),
      };
    })
    .sort(
      (x, y) =>
        (y.afterSalesRate ?? 0) - (x.afterSalesRate ?? 0) ||
        y.afterSalesUnits - x.afterSalesUnits ||
        String(x.sku).localeCompare(String(y.sku)),
    )
    .slice(0, limit);
}

/** After-sales requests by SKU, reason, warehouse and courier: where a product's problem comes from. */
export async function reasonsTable(db: Db, scope: Scope, limit: number): Promise<Table> {
  const dims = ['sku', 'type', 'reason', 'warehouse_id', 'courier'];
  const rows = await totals(db, FAMILIES.afterSales, scope, dims, undefined, { by: ['units', 'n'], limit });
  return rows
    .filter((r) => num(r.n) > 0)
    .map((r) => ({
      sku: r.sku,
      type: r.type,
      reason: r.reason,
      warehouseId: r.warehouse_id,
      courier: r.courier,
      requests: num(r.n),
      units: num(r.units),
    }))
    .sort(
      (a, b) =>
        b.units - a.units || b.requests - a.requests || `${a.sku}${a.reason}`.localeCompare(`${b.sku}${b.reason}`),
    )
    .slice(0, limit);
}

const hours = (seconds: number, count: number) => (count > 0 ? Math.round((seconds / count / 3600) * 100) / 100 : null);

/** Courier performance per courier and dispatching warehouse. */
export async function couriersTable(db: Db, scope: Scope): Promise<Table> {
  const rows = await totals(db, FAMILIES.couriers, scope, ['courier', 'warehouse_id']);
  return rows
    .filter((r) => num(r.n) > 0)
    .map((r) => ({
      courier: r.courier,
      warehouseId: r.warehouse_id,
      shipments: num(r.n),
      pickedUp: num(r.picked_up),
      avgHoursToPickUp: hours(num(r.pickup_seconds), num(r.picked_up)),
      delivered: num(r.delivered),
      avgHoursToDelivery: hours(num(r.delivery_seconds), num(r.delivered)),
      failedAttempts: num(r.failed_attempts),
      failedAttemptsPerShipment: ratio(num(r.failed_attempts), num(r.n)),
      returnedToSender: num(r.returned),
    }))
    .sort((a, b) => `${a.courier} ${a.warehouseId}`.localeCompare(`${b.courier} ${b.warehouseId}`));
}

export function replenishmentOf(overrides: Record<string, unknown> | undefined): ReplenishmentPolicy {
  const p = resolvePolicy(overrides as PolicyOverrides | undefined);
  return {
    leadTimeDays: p.replenishLeadTimeDays,
    safetyStockDays: p.replenishSafetyStockDays,
    reviewDays: p.replenishReviewDays,
    velocityWindowDays: p.replenishVelocityWindowDays,
  };
}

const URGENCY_ORDER = { stockout: 0, critical: 1, reorder: 2, ok: 3, no_demand: 4 } as const;

/**
 * Stock cover and reorder suggestions per SKU and warehouse. Each merchant's velocity window is its
 * own policy value, so demand is read once per distinct window length (usually one), after the stock.
 */
export async function stockCoverTable(
  db: Db,
  filter: { merchantId?: string; sku?: string; warehouseId?: string },
  now = Date.now(),
): Promise<Table> {
  const stock = await stockLevels(db, filter);
  const policies = await merchantPolicies(db, [...new Set(stock.map((s) => s.merchant_id))]);
  const policyOf = (m: string) => replenishmentOf(policies.get(m));
  const demand = new Map<string, number>();
  for (const days of new Set(stock.map((s) => policyOf(s.merchant_id).velocityWindowDays)))
    for (const d of await shippedUnits(db, { ...filter, ...windowOf(days, now) }))
      demand.set(`${days}|${d.sku}|${d.warehouse_id}`, Number(d.units));
  const rows = stock.map((s) => {
    const policy = policyOf(s.merchant_id);
    const units = demand.get(`${policy.velocityWindowDays}|${s.sku}|${s.warehouse_id}`) ?? 0;
    return {
      merchantId: s.merchant_id,
      sku: s.sku,
      name: s.name,
      warehouseId: s.warehouse_id,
      onHand: Number(s.on_hand),
      available: Number(s.available),
      unitsShippedInWindow: units,
      windowDays: policy.velocityWindowDays,
      leadTimeDays: policy.leadTimeDays,
      safetyStockDays: policy.safetyStockDays,
      reviewDays: policy.reviewDays,
      ...reorderSuggestion(Number(s.available), units, policy),
    };
  });
  return rows.sort(
    (a, b) =>
      URGENCY_ORDER[a.urgency] - URGENCY_ORDER[b.urgency] || (a.coverDays ?? Infinity) - (b.coverDays ?? Infinity),
  );
}

/** The velocity window: the `days` × 24 hours up to the end of the current UTC hour. */
function windowOf(days: number, now: number): { from: number; to: number } {
  const to = Math.ceil((now + 1) / 3_600_000) * 3_600_000;
  return { from: to - days * 86_400_000, to };
}
