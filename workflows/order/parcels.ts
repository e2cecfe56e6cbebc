import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { cancelShipment, parcelTracking, recallShipment } from '../../contract';
import type { ShipmentView } from '../../domain/order';
import { handedOver } from '../../domain/tracking';
import { hear, Parcel, parcelInbox, type ParcelInput } from '../shared/parcel';
import { holdsParcels } from './patches';
import { applyProgress } from './progress';
import type { OrderRun } from './run';

/**
 * The parcels an order of lifecycle version 3 follows itself (docs/decisions/100), with the parcel's
 * logic of workflows/shared/parcel.ts: each hears its tracking events by the order's `parcelTracking`
 * signal, and the order's main flow steps it between its own steps, applying each report to the
 * order's state before the next step. No child to start, no signal back, no child completion.
 */

/** Books a parcel the order then follows itself; its booking is applied with the next reports. */
export async function bookInOrder(run: OrderRun, input: ParcelInput): Promise<void> {
  const inbox = run.earlyTracking.get(input.shipmentId) ?? parcelInbox();
  run.earlyTracking.delete(input.shipmentId);
  const parcel = new Parcel(input, inbox, run.lifecycle, (p) => void run.inbox.progress.push(p));
  run.parcels.set(input.shipmentId, parcel);
  await parcel.book();
}

/** Whether one of the order's own parcels has something to do (an event, a cancellation, a recall). */
export const parcelsReady = (run: OrderRun) => [...run.parcels.values()].some((p) => p.ready());

/**
 * Steps the order's own parcels while one has something to do, in the order they were booked: one
 * step, then its report applied (progress.ts), then the next. The main flow calls it, so one flow
 * issues the order's commands.
 */
export async function stepParcels(run: OrderRun): Promise<void> {
  for (;;) {
    const parcel = [...run.parcels.values()].find((p) => p.ready());
    if (!parcel) return;
    await parcel.step();
    await applyProgress(run);
  }
}

/**
 * Tracking events for the order's own parcels: into the parcel's inbox, once per event id; none after it
 * is final. Events for a parcel not booked yet wait for it: a worker that died after booking, before its
 * workflow task completed, left the courier booked and the shipment row written, so the courier's
 * webhooks can reach the order before its retried task books again (decision 117).
 */
export function listenForParcels(run: OrderRun): void {
  if (!holdsParcels(run.lifecycle)) return;
  setHandler(parcelTracking, ({ shipmentId, ...event }) => {
    const parcel = run.parcels.get(shipmentId);
    if (parcel) {
      if (!parcel.final) hear(parcel.inbox, event);
    } else {
      const early = run.earlyTracking.get(shipmentId) ?? parcelInbox();
      run.earlyTracking.set(shipmentId, early);
      hear(early, event);
    }
  });
}

/**
 * Asks a parcel to stop: cancelled if not yet with the courier, else recalled (the courier brings it
 * back). A parcel of the order's own is flagged for its next step; a shipment child is signalled
 * (versions 1 and 2).
 */
export async function stopParcel(run: OrderRun, s: ShipmentView, reason: string): Promise<void> {
  const recall = handedOver(s.status);
  if (!holdsParcels(run.lifecycle))
    return getExternalWorkflowHandle(s.shipmentId).signal(recall ? recallShipment : cancelShipment, { reason });
  const parcel = run.parcels.get(s.shipmentId);
  if (!parcel || parcel.final) return; // its last report is in the order's inbox
  if (recall) parcel.inbox.recallRequested = true;
  else parcel.inbox.cancelRequested = true;
}
