import { startChild } from '@temporalio/workflow';
import { afterSalesWorkflowId } from '../../contract';
import type { AfterSalesLine, AfterSalesState } from '../../domain/after-sales';
import type { ShipmentLine, ShipmentView } from '../../domain/order';
import { handedOver, isFinalShipmentStatus, trackShipment } from '../../domain/tracking';
import { db } from '../activities';
import { followShipments } from '../shared/shipments';
import type { shipmentWorkflow } from '../shipment';
import type { AfterSalesRun } from './run';

/** The request's shipments are children reporting here, as they report to an order (docs/fulfilment.md). */
function applyProgress(run: AfterSalesRun) {
  const { state, inbox } = run;
  while (inbox.progress.length > 0) {
    const p = inbox.progress.shift()!;
    const s = state.shipments.find((x) => x.seq === p.seq);
    if (s) trackShipment(s, p);
  }
}

/** Waits until `done` holds for the shipment (or `timeoutMs` passes); true if it holds. */
export const follow = (run: AfterSalesRun, s: ShipmentView, done: (s: ShipmentView) => boolean, timeoutMs?: number) =>
  followShipments({ progress: run.inbox.progress, apply: () => applyProgress(run) }, () => done(s), timeoutMs);

/** Books a return (customer → warehouse) or an outbound parcel (warehouse → customer) and waits until it is booked. */
export async function startShipment(
  run: AfterSalesRun,
  direction: 'return' | 'outbound',
  n: number,
  warehouseId: string,
  lines: ShipmentLine[],
) {
  const { input, orderId, requestId } = run;
  // Within the request's block of shipment numbers: returns from 1, outbound parcels from 51.
  const seq = input.seqBase + (direction === 'return' ? 0 : 50) + n;
  const view: AfterSalesState['shipments'][number] = {
    shipmentId: `${afterSalesWorkflowId(requestId)}-${direction}-${n}`,
    seq,
    warehouseId,
    status: 'booking',
    lines,
    direction,
  };
  run.state.shipments.push(view);
  // The address is the customer's: where a return is picked up, where an outbound parcel goes.
  // A child of the request's own lifecycle version (contract/versions.ts).
  await startChild<typeof shipmentWorkflow>(run.lifecycle.types.shipment, {
    workflowId: view.shipmentId,
    args: [
      {
        orderId,
        orderWorkflowId: run.self,
        shipmentId: view.shipmentId,
        seq,
        warehouseId,
        courier: 'sf-express',
        address: input.address,
        lines,
      },
    ],
  });
  await follow(run, view, (s) => s.status !== 'booking');
  return view;
}

/** Follows goods sent to the customer to the door; replacement units leave stock at hand-over. */
export async function deliver(run: AfterSalesRun, s: ShipmentView, takesStock: boolean): Promise<ShipmentView> {
  const warehouseId = s.warehouseId;
  await follow(run, s, (x) => handedOver(x.status) || isFinalShipmentStatus(x.status));
  if (takesStock && handedOver(s.status) && s.status !== 'returned_to_sender')
    await db.shipStock({ orderId: run.requestId, warehouseId });
  await follow(run, s, (x) => isFinalShipmentStatus(x.status));
  return s;
}

export const shipmentLines = (lines: readonly AfterSalesLine[]): ShipmentLine[] =>
  lines.map(({ lineNo, sku, quantity }) => ({ lineNo, sku, quantity }));
