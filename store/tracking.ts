import { FINAL_SHIPMENT_STATUSES, type ShipmentLine, type ShipmentStatus, type TrackingSignal } from '../domain';
import { runStatement, type Db } from './db';
import { insertNoticeRows, noticeRows, outForDeliveryNotice, queueTrackingNotice, type NoticeParcel } from './notices';

/**
 * A shipment's tracking in the read model: its accepted courier events (`tracking_events`, once per
 * event id) and its status on the `shipments` row. The parcel's workflow records what it accepted
 * (`recordTracking`); the scans no order acts on — in transit and out for delivery — of a parcel an
 * order follows are recorded by the courier's webhook alone (`recordInTransitScan`,
 * `recordOutForDeliveryScan`, docs/decisions/108 and 119).
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
 * (the shipment was booked first). The row never moves back: a pick-up the workflow accepts after a
 * scan the webhook already recorded leaves it in transit or out for delivery, and a failed attempt
 * the workflow accepts after the webhook recorded the next attempt's out-for-delivery scan leaves it
 * out for delivery. That scan found the row not yet failed, so queued no notice: it is queued here,
 * with the event's own (an out-for-delivery event of a parcel that is a workflow of its own).
 */
export async function recordTracking(db: Db, req: AcceptedTracking): Promise<void> {
  const e = req.event;
  const [{ updated, nextAttempt }] = await runStatement<{ updated: number; nextAttempt: string | null }>(
    db,
    RECORD_TRACKING,
    [
      req.shipmentId,
      e.eventId,
      e.type,
      e.location ?? null,
      e.signedBy ?? null,
      new Date(e.occurredAt),
      req.status,
      req.deliveryAttempts ?? null,
    ],
  );
  if (updated !== 1) throw new Error(`shipment ${req.shipmentId} is not recorded`);
  // A retry after a failure here finds the tracking written and queues each notice once (its key).
  await queueTrackingNotice(db, req.shipmentId, e);
  if (nextAttempt) await queueTrackingNotice(db, req.shipmentId, { type: 'out_for_delivery', eventId: nextAttempt });
}

const RECORD_TRACKING = {
  name: 'record-tracking',
  text: `WITH event AS (
      INSERT INTO tracking_events (shipment_id, event_id, type, location, signed_by, occurred_at)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING),
    next_attempt AS (
      SELECT t.event_id FROM tracking_events t
      WHERE $7 = 'delivery_failed' AND t.shipment_id = $1 AND t.type = 'out_for_delivery' AND t.occurred_at > $6
      ORDER BY t.occurred_at DESC LIMIT 1),
    moved AS (
      UPDATE shipments SET
        status = CASE
          WHEN $7 = 'picked_up' AND status IN ('in_transit', 'out_for_delivery') THEN status
          WHEN status = 'out_for_delivery' AND EXISTS (SELECT 1 FROM next_attempt) THEN status
          ELSE $7 END,
        delivery_attempts = coalesce($8::int, delivery_attempts), updated_at = now()
      WHERE id = $1 RETURNING status)
    SELECT (SELECT count(*)::int FROM moved) AS updated,
      (SELECT event_id FROM next_attempt WHERE (SELECT status FROM moved) = 'out_for_delivery') AS "nextAttempt"`,
};

/** The scans no order acts on: recorded by the webhook for a parcel an order follows (recordScan). */
export const isScanNoOrderActsOn = (type: TrackingSignal['type']) =>
  type === 'in_transit' || type === 'out_for_delivery';

/** Records a scan of `isScanNoOrderActsOn` for the parcel an order follows, without waking the order. */
export function recordScan(db: Db, courier: string, parcel: NoticeParcel & { shipmentId: string }, e: TrackingSignal) {
  return e.type === 'in_transit'
    ? recordInTransitScan(db, courier, parcel.shipmentId, e)
    : recordOutForDeliveryScan(db, courier, parcel, e);
}

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

/** The statuses an out-for-delivery scan moves a shipment on from (and `delivery_failed`, when the scan is newer). */
const BEFORE_OUT_FOR_DELIVERY: ShipmentStatus[] = ['booked', 'picked_up', 'in_transit'];

/**
 * An out-for-delivery scan of a parcel an order follows, recorded by the courier's webhook (no order
 * acts on one, docs/decisions/119), in one statement: the event listed unless the parcel is final;
 * the shipment moved to `out_for_delivery` from before it, or from a failed attempt older than the
 * scan (a new attempt); when it moved, the customer's notice queued; the event id marked accepted.
 */
export async function recordOutForDeliveryScan(
  db: Db,
  courier: string,
  parcel: NoticeParcel & { shipmentId: string },
  e: Omit<TrackingSignal, 'type'>,
): Promise<void> {
  const notices = await noticeRows(db, [outForDeliveryNotice(parcel, e.eventId)]);
  await runStatement(db, RECORD_OUT_FOR_DELIVERY_SCAN, [
    parcel.shipmentId,
    BEFORE_OUT_FOR_DELIVERY,
    e.eventId,
    e.location ?? null,
    e.signedBy ?? null,
    new Date(e.occurredAt),
    courier,
    JSON.stringify(notices),
    FINAL_SHIPMENT_STATUSES,
  ]);
}

const RECORD_OUT_FOR_DELIVERY_SCAN = {
  name: 'record-out-for-delivery-scan',
  text: `WITH moved AS (
      UPDATE shipments s SET status = 'out_for_delivery', updated_at = now()
      WHERE s.id = $1 AND (s.status = ANY($2::text[]) OR (s.status = 'delivery_failed' AND NOT EXISTS (
        SELECT 1 FROM tracking_events t WHERE t.shipment_id = $1 AND t.type = 'delivery_failed' AND t.occurred_at >= $6)))
      RETURNING 1),
    event AS (
      INSERT INTO tracking_events (shipment_id, event_id, type, location, signed_by, occurred_at)
      SELECT $1, $3, 'out_for_delivery', $4, $5, $6 FROM shipments WHERE id = $1 AND status <> ALL($9::text[])
      ON CONFLICT DO NOTHING),
    notices AS (${insertNoticeRows('$8', 'EXISTS (SELECT 1 FROM moved)')}),
    accepted AS (
      INSERT INTO webhook_events (source, event_id) VALUES ($7, $3) ON CONFLICT DO NOTHING)
    SELECT 1`,
};
