import type { Notice } from '../domain';
import type { Db } from './db';
import { queueNotices } from './notices';

/**
 * Merchant notices no single event causes, found by scanning (workers/notifications.ts runs them
 * periodically; docs/notifications.md). Each is keyed by what it warns of, so a scan repeated by
 * every dispatcher queues it once.
 */

/**
 * Orders waiting for their merchant (a decision, or a shipment by hand) whose deadline falls within
 * `leadMs`: the merchant is warned before it passes. An extended deadline is a new deadline, warned anew.
 */
export async function queueSlaWarnings(db: Db, leadMs: number): Promise<number> {
  const due = await db.$queryRaw<Array<{ id: string; merchantId: string; awaiting: string; until: string }>>`
    SELECT id, merchant_id AS "merchantId", snapshot->'pendingDecision'->>'awaiting' AS awaiting,
           snapshot->'pendingDecision'->>'until' AS until
    FROM orders
    WHERE status IN ('awaiting_merchant', 'fulfilling', 'partially_shipped')
      AND snapshot->'pendingDecision'->>'actor' = 'merchant'
      AND snapshot->'pendingDecision'->>'awaiting' IN ('merchant_decision', 'shipment')
      AND (snapshot->'pendingDecision'->>'until')::timestamptz > now()
      AND (snapshot->'pendingDecision'->>'until')::timestamptz <= now() + ${leadMs} * interval '1 millisecond'`;
  const notices: Notice[] = due.map((o) => ({
    key: `${o.id}:merchant.sla_warning:${o.awaiting}:${o.until}`,
    orderId: o.id,
    recipientType: 'merchant',
    recipientId: o.merchantId,
    channel: 'in_app',
    kind: 'merchant.sla_warning',
    vars: { orderId: o.id, awaiting: o.awaiting, until: o.until },
  }));
  await queueNotices(db, notices);
  return notices.length;
}

/**
 * SKUs whose available stock in a warehouse fell below `threshold`: one alert row per drop (kept
 * while the stock stays low, removed once it recovers) and one notice to the SKU's merchant, written
 * together so neither is lost.
 */
export async function queueLowStockNotices(db: Db, threshold: number): Promise<number> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`
      DELETE FROM low_stock_alerts a USING inventory i
      WHERE i.sku = a.sku AND i.warehouse_id = a.warehouse_id AND i.on_hand - i.reserved - i.allocated >= ${threshold}`;
    const raised = await tx.$queryRaw<
      Array<{ sku: string; warehouseId: string; merchantId: string; available: number; since: Date }>
    >`
      INSERT INTO low_stock_alerts (sku, warehouse_id, merchant_id, available)
      SELECT i.sku, i.warehouse_id, p.merchant_id, i.on_hand - i.reserved - i.allocated
      FROM inventory i JOIN products p ON p.sku = i.sku
      WHERE p.active AND i.on_hand - i.reserved - i.allocated < ${threshold}
      ON CONFLICT (sku, warehouse_id) DO NOTHING
      RETURNING sku, warehouse_id AS "warehouseId", merchant_id AS "merchantId", available, since`;
    const notices: Notice[] = raised.map((a) => ({
      key: `stock.low:${a.sku}:${a.warehouseId}:${a.since.getTime()}`,
      recipientType: 'merchant',
      recipientId: a.merchantId,
      channel: 'in_app',
      kind: 'stock.low',
      vars: { sku: a.sku, warehouseId: a.warehouseId, available: a.available },
    }));
    await queueNotices(tx, notices);
    return notices.length;
  });
}
