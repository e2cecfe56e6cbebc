import { ActivityFailure, condition } from '@temporalio/workflow';
import type { BookShipmentRequest } from '../../activities/shipping';
import type { ShipmentProgress } from '../../contract';
import type { ShipmentView } from '../../domain/order';
import { businessKey } from '../../domain/payments';
import {
  advances,
  handedOver,
  isFinalShipmentStatus,
  type TrackingEventType,
  type TrackingSignal,
} from '../../domain/tracking';
import { bookingAttempts, db, providers } from '../activities';
import type { Lifecycle } from './lifecycle';

/**
 * One parcel's life, in one home (docs/fulfilment.md): book the courier, then follow tracking events
 * until delivered, returned or cancelled, reporting every change to whoever holds the parcel. It runs
 * as its own child workflow (`shipmentWorkflow*`: lifecycle versions 1 and 2, and after-sales
 * parcels) or as a coroutine inside the order (`orderWorkflowV3`, docs/decisions/100); the two differ
 * only in how the parcel hears (its `ParcelInbox`, filled by a signal handler of the one or the
 * other) and in how it reports (`report`: a signal to the order, or a push to the order's inbox).
 */

export const MILESTONES_ONLY = 'shipment-reports-milestones-only';
export const COURIER_FALLBACK = 'shipment-courier-fallback';
export const RETURNS_AFTER_FAILED_ATTEMPTS = 'shipment-returns-after-failed-attempts';
/** The patches above are decided in the first workflow task, before any activity (as the order's: workflows/order/patches.ts). */
export const PATCHES_AT_START = 'shipment-patches-decided-at-start';
/** Every patch of the parcel's logic: version 1 asks `patched()` for them, later versions took them all. */
export const PARCEL_PATCHES = [MILESTONES_ONLY, COURIER_FALLBACK, RETURNS_AFTER_FAILED_ATTEMPTS, PATCHES_AT_START];

const isMilestone = (type: TrackingEventType) => type !== 'in_transit' && type !== 'out_for_delivery';

/** What booking and following a parcel needs: its booking request (less the key, derived here) and its policy. */
export interface ParcelInput extends Omit<BookShipmentRequest, 'idempotencyKey'> {
  /** Tried in turn when booking with `courier` keeps failing. */
  fallbackCouriers?: string[];
  /** Failed delivery attempts before the parcel is sent back (policy; default 3). */
  maxDeliveryAttempts?: number;
}

/** What the parcel has heard: tracking events (deduplicated by id) and support's or the holder's requests. */
export interface ParcelInbox {
  events: TrackingSignal[];
  seen: Set<string>;
  cancelRequested: boolean;
  recallRequested: boolean;
  returnRequested: boolean;
}

export const parcelInbox = (): ParcelInbox => ({
  events: [],
  seen: new Set(),
  cancelRequested: false,
  recallRequested: false,
  returnRequested: false,
});

/** A tracking event heard: kept once per event id (couriers retry and repeat themselves). */
export function hear(inbox: ParcelInbox, event: TrackingSignal): void {
  if (inbox.seen.has(event.eventId)) return;
  inbox.seen.add(event.eventId);
  inbox.events.push(event);
}

/** How a parcel tells its holder about a change. */
export type ParcelReport = (progress: ShipmentProgress) => unknown;

/** The parcel's own view before booking. */
export const parcelView = (input: ParcelInput): ShipmentView => ({
  shipmentId: input.shipmentId,
  seq: input.seq,
  warehouseId: input.warehouseId,
  status: 'booking',
  lines: input.lines,
});

/**
 * Books the courier, then follows the inbox's events until the parcel is final. Events are
 * deduplicated by id (`hear`) and never move the parcel backwards; a courier whose booking keeps
 * failing gives way to the next one; after the last failed delivery attempt the parcel is sent back;
 * a cancellation before hand-over cancels the booking, a recall after it brings the parcel back.
 */
export async function followParcel(
  input: ParcelInput,
  view: ShipmentView,
  inbox: ParcelInbox,
  lifecycle: Lifecycle,
  report: ParcelReport,
): Promise<ShipmentView> {
  let lastEventAt: string | undefined;
  // MILESTONES_ONLY follows the recordTracking local activity: decided now, it cannot split from it.
  lifecycle.decideAtStart(PATCHES_AT_START, [COURIER_FALLBACK, MILESTONES_ONLY, RETURNS_AFTER_FAILED_ATTEMPTS]);
  const progress = (extra: Partial<ShipmentProgress> = {}) =>
    report({
      seq: view.seq,
      status: view.status,
      courier: view.courier,
      trackingNumber: view.trackingNumber,
      ...extra,
    });
  const { maxDeliveryAttempts = 3 } = input;

  Object.assign(view, await book(input, lifecycle), { status: 'booked' });
  await progress();

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
      await progress();
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
    // The holder acts only on milestones; in-transit scans live in the shipment's tracking history.
    if (!lifecycle.takes(MILESTONES_ONLY) || isMilestone(event.type))
      await progress({ event, codCollected: event.codCollected, deliveryAttempts: view.deliveryAttempts });
    if (
      event.type === 'delivery_failed' &&
      view.deliveryAttempts === maxDeliveryAttempts &&
      lifecycle.takes(RETURNS_AFTER_FAILED_ATTEMPTS)
    )
      await returnToSender(input, view);
  }
  return view;
}

/** Books the first courier; one whose booking keeps failing gives way to the next (courier fallback). */
async function book(input: ParcelInput, lifecycle: Lifecycle) {
  const { fallbackCouriers = [], maxDeliveryAttempts: _attempts, ...request } = input;
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

const parcelOf = (input: ParcelInput, view: ShipmentView) => ({
  shipmentId: input.shipmentId,
  courier: view.courier!,
  trackingNumber: view.trackingNumber!,
});

/** The courier brings the parcel back to the warehouse and reports returned_to_sender. */
const returnToSender = (input: ParcelInput, view: ShipmentView) =>
  providers.requestReturnToSender({
    ...parcelOf(input, view),
    idempotencyKey: businessKey(input.orderId, `return-${input.seq}`),
  });
