import { ActivityFailure, condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import type { BookShipmentRequest } from '../activities/shipping';
import type { ShipmentView } from '../domain/order';
import { businessKey } from '../domain/payments';
import {
  advances,
  handedOver,
  isFinalShipmentStatus,
  type TrackingEventType,
  type TrackingSignal,
} from '../domain/tracking';
import { bookingAttempts, db, providers } from './activities';
import { Lifecycle } from './shared/lifecycle';
import {
  cancelShipment,
  recallShipment,
  shipmentProgressed,
  shipmentState,
  trackingReceived,
  type ShipmentProgress,
} from '../contract';

const MILESTONES_ONLY = 'shipment-reports-milestones-only';
const COURIER_FALLBACK = 'shipment-courier-fallback';
const RETURNS_AFTER_FAILED_ATTEMPTS = 'shipment-returns-after-failed-attempts';
/** The patches above are decided in the first workflow task, before any activity (as the order's: workflows/order/patches.ts). */
const PATCHES_AT_START = 'shipment-patches-decided-at-start';
/** Version 1 (`shipmentWorkflow`) asks `patched()`; version 2 (`shipmentWorkflowV2`) took the four above from its start. */
const SHIPMENT_LIFECYCLE = {
  1: Lifecycle.v1(),
  2: Lifecycle.v2([MILESTONES_ONLY, COURIER_FALLBACK, RETURNS_AFTER_FAILED_ATTEMPTS, PATCHES_AT_START]),
} as const;
const isMilestone = (type: TrackingEventType) => type !== 'in_transit' && type !== 'out_for_delivery';

/** What a shipment needs: its booking request (less the key, derived here) and its order. */
export interface ShipmentInput extends Omit<BookShipmentRequest, 'idempotencyKey'> {
  orderWorkflowId: string;
  /** Tried in turn when booking with `courier` keeps failing. */
  fallbackCouriers?: string[];
  /** Failed delivery attempts before the parcel is sent back (policy; default 3). */
  maxDeliveryAttempts?: number;
}

/** What the shipment has heard: tracking events (deduplicated by id) and support's or the order's requests. */
interface Inbox {
  events: TrackingSignal[];
  seen: Set<string>;
  cancelRequested: boolean;
  recallRequested: boolean;
  returnRequested: boolean;
}

/**
 * One parcel from one warehouse (child of the order, `shipment-<orderId>-<n>`): book the courier,
 * then follow tracking events until delivered, returned or cancelled, reporting the milestones to
 * the order. Events are deduplicated by id and never move the shipment backwards. A courier whose
 * booking keeps failing gives way to the next one; after the last failed delivery attempt the parcel
 * is sent back to the warehouse.
 *
 * The shipment workflow of lifecycle version 2 (contract/versions.ts), started by version 2 orders and
 * after-sales requests: no patch marker (docs/decisions/092).
 */
export async function shipmentWorkflowV2(input: ShipmentInput): Promise<ShipmentView> {
  return followParcel(input, SHIPMENT_LIFECYCLE[2]);
}

/** The shipment workflow of lifecycle version 1, for the shipments of version 1 orders and requests. */
export async function shipmentWorkflow(input: ShipmentInput): Promise<ShipmentView> {
  return followParcel(input, SHIPMENT_LIFECYCLE[1]);
}

async function followParcel(input: ShipmentInput, lifecycle: Lifecycle): Promise<ShipmentView> {
  const view: ShipmentView = {
    shipmentId: input.shipmentId,
    seq: input.seq,
    warehouseId: input.warehouseId,
    status: 'booking',
    lines: input.lines,
  };
  const inbox = listen(view);
  let lastEventAt: string | undefined;
  // MILESTONES_ONLY follows the recordTracking local activity: decided now, it cannot split from it.
  lifecycle.decideAtStart(PATCHES_AT_START, [COURIER_FALLBACK, MILESTONES_ONLY, RETURNS_AFTER_FAILED_ATTEMPTS]);

  const order = getExternalWorkflowHandle(input.orderWorkflowId);
  const report = (extra: Partial<ShipmentProgress> = {}) =>
    order.signal(shipmentProgressed, {
      seq: view.seq,
      status: view.status,
      courier: view.courier,
      trackingNumber: view.trackingNumber,
      ...extra,
    });
  const { maxDeliveryAttempts = 3 } = input;

  Object.assign(view, await book(input, lifecycle), { status: 'booked' });
  await report();

  while (!isFinalShipmentStatus(view.status)) {
    const recallDue = () => inbox.recallRequested && !inbox.returnRequested && handedOver(view.status);
    await condition(
      () => inbox.events.length > 0 || (inbox.cancelRequested && !handedOver(view.status)) || recallDue(),
    );
    // Events that arrived before the cancellation are applied first: a pick-up wins over a late cancel.
    const event = inbox.events.shift();
    if (!event && recallDue()) {
      // Support cancelled after hand-over: the courier brings the parcel back and reports returned_to_sender.
      inbox.returnRequested = true;
      await returnToSender(input, view);
      continue;
    }
    if (!event) {
      await providers.cancelBooking({
        ...parcelOf(input, view),
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
    await db.recordTracking({
      shipmentId: input.shipmentId,
      event,
      status: view.status,
      deliveryAttempts: view.deliveryAttempts,
    });
    // The order acts only on milestones; in-transit scans live in the shipment's tracking history.
    if (!lifecycle.takes(MILESTONES_ONLY) || isMilestone(event.type))
      await report({ event, codCollected: event.codCollected, deliveryAttempts: view.deliveryAttempts });
    if (
      event.type === 'delivery_failed' &&
      view.deliveryAttempts === maxDeliveryAttempts &&
      lifecycle.takes(RETURNS_AFTER_FAILED_ATTEMPTS)
    )
      await returnToSender(input, view);
  }
  return view;
}

/** The shipment's handlers: its state as a query; tracking events, cancel and recall requests into its inbox. */
function listen(view: ShipmentView): Inbox {
  const inbox: Inbox = {
    events: [],
    seen: new Set(),
    cancelRequested: false,
    recallRequested: false,
    returnRequested: false,
  };
  setHandler(shipmentState, () => view);
  setHandler(trackingReceived, (event) => {
    if (inbox.seen.has(event.eventId)) return;
    inbox.seen.add(event.eventId);
    inbox.events.push(event);
  });
  setHandler(cancelShipment, () => {
    inbox.cancelRequested = true;
  });
  setHandler(recallShipment, () => {
    inbox.recallRequested = true;
  });
  return inbox;
}

/** Books the first courier; one whose booking keeps failing gives way to the next (courier fallback). */
async function book(input: ShipmentInput, lifecycle: Lifecycle) {
  const { orderWorkflowId: _order, fallbackCouriers = [], maxDeliveryAttempts: _attempts, ...request } = input;
  const couriers = [input.courier, ...fallbackCouriers.filter((c) => c !== input.courier)];
  if (couriers.length === 1 || !lifecycle.takes(COURIER_FALLBACK))
    return providers.bookShipment({ ...request, idempotencyKey: businessKey(input.orderId, `book-${input.seq}`) });
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

const parcelOf = (input: ShipmentInput, view: ShipmentView) => ({
  shipmentId: input.shipmentId,
  courier: view.courier!,
  trackingNumber: view.trackingNumber!,
});

/** The courier brings the parcel back to the warehouse and reports returned_to_sender. */
const returnToSender = (input: ShipmentInput, view: ShipmentView) =>
  providers.requestReturnToSender({
    ...parcelOf(input, view),
    idempotencyKey: businessKey(input.orderId, `return-${input.seq}`),
  });
