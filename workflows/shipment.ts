import { condition, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import type { BookShipmentRequest } from '../activities/shipping';
import { advances, businessKey, handedOver, isFinalShipmentStatus, type ShipmentView, type TrackingEventType, type TrackingSignal } from '../domain';
import { db, providers } from './activities';
import { cancelShipment, shipmentProgressed, shipmentState, trackingReceived, type ShipmentProgress } from './definitions';

const MILESTONES_ONLY = 'shipment-reports-milestones-only';
const isMilestone = (type: TrackingEventType) => type !== 'in_transit' && type !== 'out_for_delivery';

/** What a shipment needs: its booking request (less the key, derived here) and its order. */
export interface ShipmentInput extends Omit<BookShipmentRequest, 'idempotencyKey'> {
  orderWorkflowId: string;
}

/**
 * One parcel from one warehouse (child of the order, `shipment-<orderId>-<n>`): book the courier,
 * then follow tracking events until delivered, returned or cancelled, reporting the milestones to
 * the order. Events are deduplicated by id and never move the shipment backwards.
 */
export async function shipmentWorkflow(input: ShipmentInput): Promise<ShipmentView> {
  const view: ShipmentView = { shipmentId: input.shipmentId, seq: input.seq, warehouseId: input.warehouseId, status: 'booking', lines: input.lines };
  const seen = new Set<string>();
  const inbox: TrackingSignal[] = [];
  let cancelRequested = false;
  let lastEventAt: string | undefined;

  setHandler(shipmentState, () => view);
  setHandler(trackingReceived, (event) => {
    if (seen.has(event.eventId)) return;
    seen.add(event.eventId);
    inbox.push(event);
  });
  setHandler(cancelShipment, () => {
    cancelRequested = true;
  });

  const order = getExternalWorkflowHandle(input.orderWorkflowId);
  const report = (extra: Partial<ShipmentProgress> = {}) =>
    order.signal(shipmentProgressed, { seq: view.seq, status: view.status, courier: view.courier, trackingNumber: view.trackingNumber, ...extra });

  const { orderWorkflowId: _order, ...request } = input;
  const booking = await providers.bookShipment({ ...request, idempotencyKey: businessKey(input.orderId, `book-${input.seq}`) });
  Object.assign(view, booking, { status: 'booked' });
  await report();

  while (!isFinalShipmentStatus(view.status)) {
    await condition(() => inbox.length > 0 || (cancelRequested && !handedOver(view.status)));
    // Events that arrived before the cancellation are applied first: a pick-up wins over a late cancel.
    const event = inbox.shift();
    if (!event) {
      await providers.cancelBooking({
        shipmentId: input.shipmentId,
        courier: view.courier!,
        trackingNumber: view.trackingNumber!,
        idempotencyKey: businessKey(input.orderId, `cancel-booking-${input.seq}`),
      });
      view.status = 'cancelled';
      await report();
      break;
    }
    if (!advances(view.status, event.type, event.occurredAt, lastEventAt)) continue;
    view.status = event.type;
    lastEventAt = event.occurredAt;
    await db.recordTracking({ shipmentId: input.shipmentId, event, status: view.status });
    // The order acts only on milestones; in-transit scans live in the shipment's tracking history.
    if (!patched(MILESTONES_ONLY) || isMilestone(event.type)) await report({ event, codCollected: event.codCollected });
  }
  return view;
}
