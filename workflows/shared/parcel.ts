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
 * parcels) or inside the order (`orderWorkflowV3`, docs/decisions/100); the two differ only in how the
 * parcel hears (its `ParcelInbox`, filled by a signal handler of the one or the other), in how it
 * reports (`report`: a signal to the order, or a push to the order's inbox) and in who steps it.
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
export type ParcelReport = (progress: ShipmentProgress) => Promise<unknown> | void;

/** The parcel's own view before booking. */
export const parcelView = (input: ParcelInput): ShipmentView => ({
  shipmentId: input.shipmentId,
  seq: input.seq,
  warehouseId: input.warehouseId,
  status: 'booking',
  lines: input.lines,
});

/**
 * One parcel: its booking, then one step at a time for what it heard. Events are deduplicated by id
 * (`hear`) and never move the parcel backwards; a courier whose booking keeps failing gives way to the
 * next one; after the last failed delivery attempt the parcel is sent back; a cancellation before
 * hand-over cancels the booking, a recall after it brings the parcel back.
 *
 * Its holder decides when a step runs: the shipment child waits for `ready()` and steps
 * (`followParcel`); an order of version 3 steps its parcels from its main flow, between its own steps,
 * so that one flow issues the order's commands (a second one acting beside it would let a workflow
 * task split by a query reorder their commands on replay: docs/testing.md, "Known issues").
 */
export class Parcel {
  private lastEventAt: string | undefined;
  readonly view: ShipmentView;

  constructor(
    readonly input: ParcelInput,
    readonly inbox: ParcelInbox,
    private readonly lifecycle: Lifecycle,
    private readonly report: ParcelReport,
  ) {
    this.view = parcelView(input);
  }

  get final(): boolean {
    return isFinalShipmentStatus(this.view.status);
  }

  /** Books the courier (with fallback) and reports the booking. The parcel's first commands. */
  async book(): Promise<void> {
    // MILESTONES_ONLY follows the recordTracking local activity: decided now, it cannot split from it.
    this.lifecycle.decideAtStart(PATCHES_AT_START, [COURIER_FALLBACK, MILESTONES_ONLY, RETURNS_AFTER_FAILED_ATTEMPTS]);
    Object.assign(this.view, await book(this.input, this.lifecycle), { status: 'booked' });
    await this.progress();
  }

  /** Whether the parcel has something to do: an event, a cancellation before hand-over, a recall after it. */
  ready(): boolean {
    const { inbox, view } = this;
    if (this.final) return false;
    return inbox.events.length > 0 || (inbox.cancelRequested && !handedOver(view.status)) || this.recallDue();
  }

  /** One step, when `ready()`: the next event, else the recall, else the cancellation. */
  async step(): Promise<void> {
    const { input, inbox, view } = this;
    // Events that arrived before the cancellation are applied first: a pick-up wins over a late cancel.
    const event = inbox.events.shift();
    if (!event && this.recallDue()) {
      // Support cancelled after hand-over: the courier brings the parcel back and reports returned_to_sender.
      inbox.returnRequested = true;
      return returnToSender(input, view);
    }
    if (!event) {
      await providers.cancelBooking({
        ...parcelOf(input, view),
        idempotencyKey: businessKey(input.orderId, `cancel-booking-${input.seq}`),
      });
      view.status = 'cancelled';
      return this.progress();
    }
    if (!advances(view.status, event.type, event.occurredAt, this.lastEventAt)) return;
    view.status = event.type;
    this.lastEventAt = event.occurredAt;
    if (event.type === 'delivery_failed') view.deliveryAttempts = (view.deliveryAttempts ?? 0) + 1;
    await db.recordTracking({
      shipmentId: input.shipmentId,
      event,
      status: view.status,
      deliveryAttempts: view.deliveryAttempts,
    });
    // The holder acts only on milestones; in-transit scans live in the shipment's tracking history.
    if (!this.lifecycle.takes(MILESTONES_ONLY) || isMilestone(event.type))
      await this.progress({ event, codCollected: event.codCollected, deliveryAttempts: view.deliveryAttempts });
    if (
      event.type === 'delivery_failed' &&
      view.deliveryAttempts === (input.maxDeliveryAttempts ?? 3) &&
      this.lifecycle.takes(RETURNS_AFTER_FAILED_ATTEMPTS)
    )
      await returnToSender(input, view);
  }

  private recallDue(): boolean {
    const { inbox, view } = this;
    return inbox.recallRequested && !inbox.returnRequested && handedOver(view.status);
  }

  private async progress(extra: Partial<ShipmentProgress> = {}): Promise<void> {
    const { seq, status, courier, trackingNumber } = this.view;
    await this.report({ seq, status, courier, trackingNumber, ...extra });
  }
}

/** A parcel followed on its own (the shipment child): booked, then each step as soon as it is ready, until final. */
export async function followParcel(parcel: Parcel): Promise<ShipmentView> {
  await parcel.book();
  while (!parcel.final) {
    await condition(() => parcel.ready());
    await parcel.step();
  }
  return parcel.view;
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
