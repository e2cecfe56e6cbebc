import { startChild, workflowInfo } from '@temporalio/workflow';
import { shipmentWorkflowId } from '../../contract';
import type { StockPiece } from '../../domain/allocation';
import type { ShipmentLine, ShipmentView } from '../../domain/order';
import { isFinalShipmentStatus } from '../../domain/tracking';
import type { shipmentWorkflow } from '../shipment';
import { cancelBeforeHandOver, cancelUnshipped, recallAndCancel } from './cancel';
import { bookInOrder, parcelsReady, stepParcels } from './parcels';
import { holdsParcels } from './patches';
import { applyProgress } from './progress';
import { OrderStop, seconds, type OrderRun } from './run';

/**
 * Shipping (docs/fulfilment.md): one parcel per warehouse (split shipments; followed inside the order
 * from version 3, a shipment child before), booked at once
 * or when the merchant ships by hand, followed until every parcel is delivered, returned or cancelled.
 * Its undo cancels the shipments not yet handed over.
 */
export async function ship(run: OrderRun, allocated: StockPiece[]) {
  const byWarehouse = new Map<string, ShipmentLine[]>();
  for (const { warehouseId, lineNo, sku, quantity } of allocated)
    byWarehouse.set(warehouseId, [...(byWarehouse.get(warehouseId) ?? []), { lineNo, sku, quantity }]);
  run.onStop(() => cancelUnshipped(run));
  if (run.policy.autoShip)
    for (const [warehouseId, lines] of byWarehouse) await startShipment(run, warehouseId, lines, run.policy.couriers);
  else await awaitMerchantShipping(run, byWarehouse);
  await followShipments(run);
  if (run.state.lines.every((l) => l.delivered === 0))
    throw new OrderStop('cancelled', 'no shipment was delivered', 'system');
}

async function startShipment(
  run: OrderRun,
  warehouseId: string,
  lines: ShipmentLine[],
  [courier, ...fallbackCouriers]: readonly string[],
) {
  const { state, input, orderId } = run;
  const seq = state.shipments.length + 1;
  const view: ShipmentView = {
    shipmentId: shipmentWorkflowId(orderId, seq),
    seq,
    warehouseId,
    status: 'booking',
    lines,
  };
  state.shipments.push(view);
  const codAmount = input.paymentMethod === 'cod' ? run.codValueOf(seq, lines) : undefined;
  const parcel = {
    orderId,
    shipmentId: view.shipmentId,
    seq,
    warehouseId,
    courier,
    fallbackCouriers,
    maxDeliveryAttempts: run.policy.deliveryAttempts,
    address: input.shippingAddress,
    lines,
    codAmount,
  };
  const self = workflowInfo().workflowId;
  // Version 3 follows the parcel itself; the row names the order for the webhook (parcels.ts).
  if (holdsParcels(run.lifecycle)) return bookInOrder(run, { ...parcel, holderWorkflowId: self });
  // Before: a child of the order's own lifecycle version (contract/versions.ts).
  await startChild<typeof shipmentWorkflow>(run.lifecycle.types.shipment, {
    workflowId: view.shipmentId,
    args: [{ orderId, orderWorkflowId: self, ...withoutOrderId(parcel) }],
  });
}

const withoutOrderId = <T extends { orderId: string }>({ orderId: _o, ...rest }: T) => rest;

/** Merchants that ship by hand: the allocations wait for POST /v1/orders/{id}/shipments. */
async function awaitMerchantShipping(run: OrderRun, byWarehouse: Map<string, ShipmentLine[]>) {
  const { state } = run;
  state.unshipped = [...byWarehouse].map(([warehouseId, lines]) => ({ warehouseId, lines }));
  const until = new Date(Date.now() + seconds(run.policy.merchantSlaSeconds)).toISOString();
  state.pendingDecision = { awaiting: 'shipment', actor: 'merchant', until };
  await run.publish({
    type: 'shipment.awaiting_merchant',
    actor: 'system',
    detail: { warehouses: state.unshipped.map((u) => u.warehouseId), until },
  });
}

/**
 * Applies the shipments' progress, steps the parcels the order follows itself (version 3 on), serves the
 * merchant's ship requests and a cancellation, until every shipment is final.
 */
async function followShipments(run: OrderRun) {
  const { state, inbox } = run;
  let shipSlaFlagged = false;
  while ((state.unshipped?.length ?? 0) > 0 || !state.shipments.every((s) => isFinalShipmentStatus(s.status))) {
    const shipBy =
      state.unshipped?.length && !shipSlaFlagged ? Date.parse(state.pendingDecision!.until) - Date.now() : undefined;
    const wake = () =>
      inbox.progress.length > 0 ||
      inbox.cancelRequest !== undefined ||
      inbox.shipRequests.length > 0 ||
      parcelsReady(run);
    const woke = await run.until(wake, shipBy === undefined ? undefined : Math.max(shipBy, 1));
    if (shipBy !== undefined && !woke) {
      shipSlaFlagged = true;
      await run.raiseFlag('shipment_sla_expired', { until: state.pendingDecision!.until });
    }
    await applyProgress(run);
    await stepParcels(run);
    await serveShipRequests(run);
    if (inbox.cancelRequest) await (inbox.cancelRequest.recall ? recallAndCancel(run) : cancelBeforeHandOver(run));
  }
}

/** The merchant ships by hand: each request books the chosen courier for one warehouse's allocation, or all. */
async function serveShipRequests(run: OrderRun) {
  const { state, inbox, policy } = run;
  while (inbox.shipRequests.length > 0 && !inbox.cancelRequest) {
    const req = inbox.shipRequests[0];
    const chosen = (state.unshipped ?? []).filter((u) => !req.warehouseId || u.warehouseId === req.warehouseId);
    state.unshipped = state.unshipped!.filter((u) => !chosen.includes(u));
    if (state.unshipped.length === 0) state.pendingDecision = state.unshipped = undefined;
    for (const u of chosen)
      await startShipment(run, u.warehouseId, u.lines, [
        req.courier,
        ...policy.couriers.filter((c) => c !== req.courier),
      ]);
    await run.publish({
      type: 'shipment.requested',
      actor: req.actor,
      detail: { courier: req.courier, warehouses: chosen.map((u) => u.warehouseId) },
    });
    inbox.shipRequests.shift();
  }
}
