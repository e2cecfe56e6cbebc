import { TERMINAL_STATUSES } from '../domain';
import type { Config } from '../config';
import { Prisma } from '../prisma/generated/client';
import type { Db } from './db';

/**
 * The stuck orders the read model alone can tell (docs/support.md, "Stuck detection"): a wait past
 * its deadline, a shipment without tracking, a refund its provider never confirmed. The support API
 * adds what only Temporal knows; the worker's `orders_stuck` gauge counts these.
 */
export type RecordStuckReason =
  | { kind: 'wait_overdue'; awaiting: string; actor: string; until: string; since: string }
  | {
      kind: 'tracking_silent';
      shipmentId: string;
      trackingNumber: string | null;
      shipmentStatus: string;
      lastEventAt: string | null;
      since: string;
    }
  | {
      kind: 'refund_unconfirmed';
      refundId: string;
      paymentId: string;
      amount: number;
      decidedAt: string;
      since: string;
    };

export type RecordThresholds = Pick<
  Config,
  'STUCK_WAIT_GRACE_SECONDS' | 'STUCK_TRACKING_SILENCE_SECONDS' | 'STUCK_REFUND_SECONDS'
>;

export interface StuckFilter {
  status?: string;
  customerId?: string;
  merchantId?: string;
  channel?: string;
  from?: string;
  to?: string;
}

export const TERMINAL = [...TERMINAL_STATUSES] as string[];
/** Shipment statuses on the courier's side: a tracking event is expected next. */
const ON_THE_WAY = ['booked', 'picked_up', 'in_transit', 'out_for_delivery', 'delivery_failed'];
const ago = (now: Date, seconds: number) => new Date(now.getTime() - seconds * 1000);
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The orders (alias `o`) a stuck search looks at: running ones, unless `finished`. */
export function ordersWhere(f: StuckFilter, { finished = false } = {}): Prisma.Sql {
  const conds = finished ? [Prisma.sql`TRUE`] : [Prisma.sql`o.status <> ALL(${TERMINAL})`];
  if (f.status) conds.push(Prisma.sql`o.status = ${f.status}`);
  if (f.customerId) conds.push(Prisma.sql`o.customer_id = ${f.customerId}`);
  if (f.merchantId) conds.push(Prisma.sql`o.merchant_id = ${f.merchantId}`);
  if (f.channel) conds.push(Prisma.sql`o.channel = ${f.channel}`);
  if (f.from) conds.push(Prisma.sql`o.created_at >= ${new Date(f.from)}`);
  if (f.to) conds.push(Prisma.sql`o.created_at <= ${new Date(f.to)}`);
  return Prisma.join(conds, ' AND ');
}

/** Every record-side reason, with the order it belongs to. */
export async function findStuckInRecords(
  db: Db,
  t: RecordThresholds,
  filter: StuckFilter = {},
  now = new Date(),
): Promise<Array<{ orderId: string; reason: RecordStuckReason }>> {
  const found = await Promise.all([overdueWaits(db, t, filter, now), silentShipments(db, t, filter, now)]);
  return [...found.flat(), ...(await unconfirmedRefunds(db, t, filter, now))];
}

/** Waits whose deadline passed (plus grace) while the order stayed where it was: the timer did not fire. */
async function overdueWaits(db: Db, t: RecordThresholds, filter: StuckFilter, now: Date) {
  const rows = await db.$queryRaw<Array<{ id: string; pending: { awaiting: string; actor: string; until: string } }>>`
    SELECT o.id, o.snapshot->'pendingDecision' AS pending FROM orders o
    WHERE ${ordersWhere(filter)} AND o.snapshot->'pendingDecision'->>'until' IS NOT NULL
      AND (o.snapshot->'pendingDecision'->>'until')::timestamptz < ${ago(now, t.STUCK_WAIT_GRACE_SECONDS)}`;
  return rows.map(({ id, pending: p }) => ({
    orderId: id,
    reason: { kind: 'wait_overdue', awaiting: p.awaiting, actor: p.actor, until: p.until, since: p.until } as const,
  }));
}

/** Shipments with the courier and no tracking event for too long (since booking when none came). */
async function silentShipments(db: Db, t: RecordThresholds, filter: StuckFilter, now: Date) {
  const rows = await db.$queryRaw<
    Array<{
      id: string;
      order_id: string;
      tracking_number: string | null;
      status: string;
      last_event_at: Date | null;
      created_at: Date;
    }>
  >`
    SELECT s.id, s.order_id, s.tracking_number, s.status, s.created_at, max(e.received_at) AS last_event_at
    FROM shipments s JOIN orders o ON o.id = s.order_id LEFT JOIN tracking_events e ON e.shipment_id = s.id
    WHERE s.status = ANY(${ON_THE_WAY}) AND ${ordersWhere(filter)}
    GROUP BY s.id
    HAVING coalesce(max(e.received_at), s.created_at) < ${ago(now, t.STUCK_TRACKING_SILENCE_SECONDS)}`;
  return rows.map((s) => {
    const since = new Date((s.last_event_at ?? s.created_at).getTime() + t.STUCK_TRACKING_SILENCE_SECONDS * 1000);
    const reason = {
      kind: 'tracking_silent',
      shipmentId: s.id,
      trackingNumber: s.tracking_number,
      shipmentStatus: s.status,
      lastEventAt: iso(s.last_event_at),
      since: since.toISOString(),
    } as const;
    return { orderId: s.order_id, reason };
  });
}

/**
 * Refunds the provider has not confirmed for too long, on any order (a cancelled one still owes its
 * customer the money): their workflows keep asking, support should know.
 */
async function unconfirmedRefunds(db: Db, t: RecordThresholds, filter: StuckFilter, now: Date) {
  const rows = await db.$queryRaw<
    Array<{ id: string; order_id: string; payment_id: string; amount: number; created_at: Date }>
  >`
    SELECT r.id, r.order_id, r.payment_id, r.amount, r.created_at FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'pending' AND r.created_at < ${ago(now, t.STUCK_REFUND_SECONDS)} AND ${ordersWhere(filter, { finished: true })}`;
  return rows.map((r) => {
    const since = new Date(r.created_at.getTime() + t.STUCK_REFUND_SECONDS * 1000).toISOString();
    const reason = {
      kind: 'refund_unconfirmed',
      refundId: r.id,
      paymentId: r.payment_id,
      amount: r.amount,
      decidedAt: r.created_at.toISOString(),
      since,
    } as const;
    return { orderId: r.order_id, reason };
  });
}
