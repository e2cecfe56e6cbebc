import type { ShipmentLine } from '../../domain/order';
import { exchangeShortage } from './exchange-shortage';
import { PATCH } from './patches';
import { refund } from './refund';
import { Replacement } from './replacement';
import { total, type AfterSalesRun, type Units } from './run';
import { deliver, startShipment } from './shipments';
import { returnStock } from '../shared/shipments';
import { allocateStock } from '../shared/stock';

/**
 * An exchange (docs/after-sales.md): the replacement is allocated like an order, a shortage is the
 * customer's to decide, each warehouse ships a parcel; what is not replaced is refunded instead.
 */
export async function exchange(run: AfterSalesRun) {
  const { state, requestId } = run;
  const replacement = new Replacement(run);
  let allocation = await allocateStock(replacement.ledger);
  // Requests recorded before the customer decided a shortage refund the short units at once, and replay that way.
  if (allocation.short.length > 0 && run.lifecycle.takes(PATCH.negotiatesShortage)) {
    const negotiated = await exchangeShortage(run, replacement, allocation);
    if (!negotiated) return;
    allocation = negotiated;
  }
  const byWarehouse = new Map<string, ShipmentLine[]>();
  for (const p of allocation.held)
    byWarehouse.set(p.warehouseId, [
      ...(byWarehouse.get(p.warehouseId) ?? []),
      { lineNo: p.lineNo, sku: p.sku, quantity: p.quantity },
    ]);
  await run.step('shipping_back', {
    type: 'after_sales.replacement_allocated',
    actor: 'system',
    detail: { held: allocation.held, short: allocation.short },
  });

  // What cannot be replaced is refunded instead.
  const notReplaced: Units = allocation.short.map((s) => ({ lineNo: s.lineNo, quantity: s.quantity }));
  let n = 0;
  for (const [warehouseId, lines] of byWarehouse) {
    const s = await deliver(run, await startShipment(run, 'outbound', ++n, warehouseId, lines), true);
    const units = lines.map((l) => ({ lineNo: l.lineNo, quantity: l.quantity }));
    if (s.status === 'delivered') {
      replacement.book(units, (l, q) => Object.assign(l, { shipped: l.shipped + q, delivered: l.delivered + q }));
      continue;
    }
    await returnStock(requestId, s);
    replacement.book(units, (l, q) => Object.assign(l, { allocated: l.allocated - q, refunded: l.refunded + q }));
    notReplaced.push(...units);
  }
  const amount = replacement.value(notReplaced) + (state.inspection?.refundAmount ?? 0);
  const refunds = amount > 0 ? await refund(run, amount, `after-sales ${requestId}: exchange`) : [];
  const { settled } = replacement;
  const allRefunds = [...settled.refunds, ...refunds];
  const instead = replacement.onOrderLines([...settled.refundedInstead, ...notReplaced]);
  const undelivered = replacement.onOrderLines(notReplaced);
  await run.resolve(
    {
      outcome: 'exchanged',
      refunded: total(allRefunds),
      refunds: allRefunds,
      refundedInstead: instead.length ? instead : undefined,
    },
    {
      type: 'after_sales.exchanged',
      actor: 'system',
      detail: { replaced: allocation.held, refundedInstead: instead, refunded: total(allRefunds) },
    },
    undelivered,
    undelivered,
    refunds,
  );
}
