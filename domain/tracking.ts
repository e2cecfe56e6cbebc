import type { ShipmentStatus, ShipmentView } from './order';

export const trackingEventTypes = [
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'delivery_failed',
  'returned_to_sender',
] as const;
export type TrackingEventType = (typeof trackingEventTypes)[number];

/**
 * How far along a shipment is. Events arrive late, twice or out of order; a shipment only moves to a
 * higher rank, so `delivered` followed by a stale `in_transit` stays delivered. A failed delivery
 * ranks with out_for_delivery: the courier retries from there.
 */
const RANK: Record<ShipmentStatus, number> = {
  booking: 0,
  booked: 1,
  picked_up: 2,
  in_transit: 3,
  out_for_delivery: 4,
  delivery_failed: 4,
  delivered: 5,
  returned_to_sender: 5,
  cancelled: 6,
};

export function advances(
  current: ShipmentStatus,
  event: TrackingEventType,
  occurredAt: string,
  lastAt?: string,
): boolean {
  if (isFinalShipmentStatus(current)) return false;
  const newer = !lastAt || Date.parse(occurredAt) > Date.parse(lastAt);
  // A failed attempt is followed by a new attempt (out for delivery again) or a return.
  if (event === 'delivery_failed') return RANK[current] <= RANK.out_for_delivery && newer;
  if (current === 'delivery_failed' && event === 'out_for_delivery') return newer;
  return RANK[event] > RANK[current];
}

/** Where a parcel's journey ends: no tracking event moves it on. */
export const FINAL_SHIPMENT_STATUSES: readonly ShipmentStatus[] = ['delivered', 'returned_to_sender', 'cancelled'];

export function isFinalShipmentStatus(status: ShipmentStatus): boolean {
  return FINAL_SHIPMENT_STATUSES.includes(status);
}

/**
 * A shipment's report applied to the holder's view of it (an order's or an after-sales request's):
 * its status, and the courier and tracking number it carries (every report after booking has both).
 */
export function trackShipment(
  view: ShipmentView,
  report: { status: ShipmentStatus; courier?: string; trackingNumber?: string },
) {
  Object.assign(view, {
    status: report.status,
    courier: report.courier ?? view.courier,
    trackingNumber: report.trackingNumber ?? view.trackingNumber,
  });
}

/** Goods have been handed to the courier: the customer can no longer cancel (docs/product.md). */
export function handedOver(status: ShipmentStatus): boolean {
  return RANK[status] >= RANK.picked_up && status !== 'cancelled';
}

/** What the shipment workflow receives for one accepted tracking event. */
export interface TrackingSignal {
  eventId: string;
  type: TrackingEventType;
  location?: string;
  signedBy?: string;
  codCollected?: { amount: number; currency: string };
  occurredAt: string;
}
