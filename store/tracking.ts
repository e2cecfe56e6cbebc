import type { ShipmentLine, ShipmentStatus, TrackingSignal } from '../domain';
import { runStatement, type Db } from './db';

/**
 * A shipment's tracking in the read model: its accepted courier events (`tracking_events`, once per
 * event id) and its status on the `shipments` row. The parcel's workflow records what it accepted
 * (`recordTracking`); an in-transit scan of a parcel an order follows is recorded by the courier's
 * webhook alone (`recordInTransitScan`, docs/decisions/108).
 */

/** A parcel the courier booked: its row, written again unchanged by a retried booking. */
export async function recordBooking(
  db: Db,
  b: {
    shipmentId: string;
    orderId: string;
    seq: number;
    warehouseId: string;
    courier: string;
    trackingNumber: string;
    lines: ShipmentLine[];
    holderWorkflowId?: string;
  },
): Promise<void> {
  await runStatement(db, RECORD_BOOKING, [
    b.shipmentId,
    b.orderId,
    b.seq,
    b.warehouseId,
    b.courier,
    b.trackingNumber,
    JSON.stringify(b.lines),
    b.holderWorkflowId ?? null,
  ]);
}

const RECORD_BOOKING = {
  name: 'record-booking',
  text: `INSERT INTO shipments (id, order_id, seq, warehouse_id, courier, tracking_number, status, lines, holder_workflow_id)
    VALUES ($1, $2, $3, $4, $5, $6, 'booked', $7::jsonb, $8)
    ON CONFLICT (id) DO UPDATE SET courier = excluded.courier, tracking_number = excluded.tracking_number,
      status = 'booked', lines = excluded.lines, holder_workflow_id = excluded.holder_workflow_id, updated_at = now()`,
};

/** A tracking event the parcel's workflow accepted, and the shipment's status after it. */
export interface AcceptedTracking {
  shipmentId: string;
  event: TrackingSignal;
  status: ShipmentStatus;
  deliveryAttempts?: number;
}

/**
 * Stores an event the parcel's workflow accepted and the shipment's resulting status, in one statement
 * (the shipment was booked first). A pick-up the workflow accepts after an in-transit scan the webhook
 * already recorded leaves the row in transit: the row never moves back.
 */
export async function recordTracking(db: Db, req: AcceptedTracking): Promise<void> {
  const e = req.event;
  const [{ updated }] = await runStatement<{ updated: number }>(db, RECORD_TRACKING, [
    req.shipmentId,
    e.eventId,
    e.type,
    e.location ?? null,
    e.signedBy ?? null,
    new Date(e.occurredAt),
    req.status,
    req.deliveryAttempts ?? null,
  ]);
  if (updated !== 1) throw new Error(`shipment ${req.shipmentId} is not recorded`);
}

const RECORD_TRACKING = {
  name: 'record-tracking',
  text: `WITH event AS (
      INSERT INTO tracking_events (shipment_id, event_id, type, location, signed_by, occurred_at)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING),
    moved AS (
      UPDATE shipments SET
        status = CASE WHEN status = 'in_transit' AND $7 = 'picked_up' THEN status ELSE $7 END,
        delivery_attempts = coalesce($8::int, delivery_attempts), updated_at = now()
      WHERE id = $1 RETURNING 1)
    SELECT count(*)::int AS updated FROM moved`,
};

/** The statuses an in-transit scan moves a shipment on from. */
const BEFORE_IN_TRANSIT: ShipmentStatus[] = ['booked', 'picked_up'];

/**
 * An in-transit scan of a parcel an order follows, recorded by the courier's webhook (no order acts on
 * one): the event, the shipment moved to `in_transit` unless it is further on already, and the event
 * id marked accepted, in one statement. Every scan is listed, a late one too: a parcel passes many
 * hubs, and its history is ordered by when each scan happened (docs/decisions/108).
 */
export async function recordInTransitScan(
  db: Db,
  courier: string,
  shipmentId: string,
  e: Omit<TrackingSignal, 'type'>,
): Promise<void> {
  await runStatement(db, RECORD_IN_TRANSIT_SCAN, [
    shipmentId,
    BEFORE_IN_TRANSIT,
    e.eventId,
    e.location ?? null,
    e.signedBy ?? null,
    new Date(e.occurredAt),
    courier,
  ]);
}

const RECORD_IN_TRANSIT_SCAN = {
  name: 'record-in-transit-scan',
  text: `WITH moved AS (
      UPDATE shipments SET status = 'in_transit', updated_at = now()
      WHERE id = $1 AND status = ANY($2::text[])),
    event AS (
      INSERT INTO tracking_events (shipment_id, event_id, type, location, signed_by, occurred_at)
      VALUES ($1, $3, 'in_transit', $4, $5, $6) ON CONFLICT DO NOTHING),
    accepted AS (
      INSERT INTO webhook_events (source, event_id) VALUES ($7, $3) ON CONFLICT DO NOTHING)
    SELECT 1`,
};
