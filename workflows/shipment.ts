import { ActivityFailure, condition, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import type { BookShipmentRequest } from '../activities/shipping';
import { advances, businessKey, handedOver, isFinalShipmentStatus, type ShipmentView, type TrackingEventType, type TrackingSignal } from '../domain';
import { bookingAttempts, db, providers } from './activities';
import { cancelShipment, recallShipment, shipmentProgressed, shipmentState, trackingReceived, type ShipmentProgress } from '../contract';

const MILESTONES_ONLY = 'shipment-reports-milestones-only';
const COURIER_FALLBACK = 'shipment-courier-fallback';
const RETURNS_AFTER_FAILED_ATTEMPTS = 'shipment-returns-after-failed-attempts';
const isMilestone = (type: TrackingEventType) => type !== 'in_transit' && type !== 'out_for_delivery';

/** What a shipment needs: its booking request (less the key, derived here) and its order. */
export interface ShipmentInput extends Omit<BookShipmentRequest, 'idempotencyKey'> {
  orderWorkflowId: string;
  /** Tried in turn when booking with `courier` keeps failing. */
  fallbackCouriers?: string[];
  /** Failed delivery attempts before the parcel is sent back (policy; default 3). */
  maxDeliveryAttempts?: number;
}

/**
 * One parcel from one warehouse (child of the order, `shipment-<orderId>-<n>`): book the courier,
 * then follow tracking events until delivered, returned or cancelled, reporting the milestones to
 * the order. Events are deduplicated by id and never move the shipment backwards. A courier whose
 * booking keeps failing gives way to the next one; after the last failed delivery attempt the parcel
 * is sent back to the warehouse.
 */
export async function shipmentWorkflow(input: ShipmentInput): Promise<ShipmentView> {
  const view: ShipmentView = { shipmentId: input.shipmentId, seq: input.seq, warehouseId: input.warehouseId, status: 'booking', lines: input.lines };
  const seen = new Set<string>();
  const inbox: TrackingSignal[] = [];
  let cancelRequested = false;
  let recallRequested = false;
  let returnRequested = false;
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
  setHandler(recallShipment, () => {
    recallRequested = true;
  });

  const order = getExternalWorkflowHandle(input.orderWorkflowId);
  const report = (extra: Partial<ShipmentProgress> = {}) =>
    order.signal(shipmentProgressed, { seq: view.seq, status: view.status, courier: view.courier, trackingNumber: view.trackingNumber, ...extra });

  const { orderWorkflowId: _order, fallbackCouriers = [], maxDeliveryAttempts = 3, ...request } = input;

  async function book() {
    const couriers = [input.courier, ...fallbackCouriers.filter((c) => c !== input.courier)];
    if (couriers.length === 1 || !patched(COURIER_FALLBACK)) return providers.bookShipment({ ...request, idempotencyKey: businessKey(input.orderId, `book-${input.seq}`) });
    for (const [i, courier] of couriers.entries()) {
      const last = i === couriers.length - 1;
      const idempotencyKey = businessKey(input.orderId, i === 0 ? `book-${input.seq}` : `book-${input.seq}-${courier}`);
      try {
        // The last courier keeps retrying: support sees the step failing rather than a lost parcel.
        return await (last ? providers : bookingAttempts).bookShipment({ ...request, courier, idempotencyKey });
      } catch (err) {
        if (last || !(err instanceof ActivityFailure)) throw err;
      }
    }
    throw new Error('unreachable: the last courier retries until it books');
  }

  Object.assign(view, await book(), { status: 'booked' });
  await report();

  while (!isFinalShipmentStatus(view.status)) {
    const recallDue = () => recallRequested && !returnRequested && handedOver(view.status);
    await condition(() => inbox.length > 0 || (cancelRequested && !handedOver(view.status)) || recallDue());
    // Events that arrived before the cancellation are applied first: a pick-up wins over a late cancel.
    const event = inbox.shift();
    if (!event && recallDue()) {
      // Support cancelled after hand-over: the courier brings the parcel back and reports returned_to_sender.
      returnRequested = true;
      await providers.requestReturnToSender({
        shipmentId: input.shipmentId,
        courier: view.courier!,
        trackingNumber: view.trackingNumber!,
        idempotencyKey: businessKey(input.orderId, `return-${input.seq}`),
      });
      continue;
    }
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
    if (event.type === 'delivery_failed') view.deliveryAttempts = (view.deliveryAttempts ?? 0) + 1;
    await db.recordTracking({ shipmentId: input.shipmentId, event, status: view.status, deliveryAttempts: view.deliveryAttempts });
    // The order acts only on milestones; in-transit scans live in the shipment's tracking history.
    if (!patched(MILESTONES_ONLY) || isMilestone(event.type)) await report({ event, codCollected: event.codCollected, deliveryAttempts: view.deliveryAttempts });
    if (event.type === 'delivery_failed' && view.deliveryAttempts === maxDeliveryAttempts && patched(RETURNS_AFTER_FAILED_ATTEMPTS)) {
      await providers.requestReturnToSender({
        shipmentId: input.shipmentId,
        courier: view.courier!,
        trackingNumber: view.trackingNumber!,
        idempotencyKey: businessKey(input.orderId, `return-${input.seq}`),
      });
    }
  }
  return view;
}
