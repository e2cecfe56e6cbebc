import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import { TERMINAL_STATUSES } from '../domain';
import type { Config } from '../config';
import type { Db } from '../store/db';
import { Prisma } from '../prisma/generated/client';
import { orderWorkflowId } from '../contract';

type Failure = temporal.api.failure.v1.IFailure;

/** Why an order is stuck, and since when (ISO 8601). */
export type StuckReason =
  | {
      kind: 'activity_retrying';
      workflowId: string;
      activity: string;
      activityId: string;
      attempt: number;
      lastFailure: string | null;
      nextAttemptAt: string | null;
      since: string;
    }
  | { kind: 'workflow_task_failing'; workflowId: string; attempt: number; since: string }
  | { kind: 'workflow_failed'; workflowId: string; status: string; failure: string | null; since: string }
  | { kind: 'workflow_not_started'; workflowId: string; since: string }
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

export interface StuckOrder {
  orderId: string;
  status: string;
  merchantId: string;
  customerId: string;
  channel: string;
  createdAt: Date;
  updatedAt: Date;
  /** The earliest `since` of its reasons: how long support has been missing it. */
  since: string;
  reasons: StuckReason[];
}

type Thresholds = Pick<
  Config,
  | 'STUCK_ACTIVITY_ATTEMPTS'
  | 'STUCK_WAIT_GRACE_SECONDS'
  | 'STUCK_TRACKING_SILENCE_SECONDS'
  | 'STUCK_QUIET_SECONDS'
  | 'STUCK_SCAN_LIMIT'
  | 'STUCK_REFUND_SECONDS'
>;

const TERMINAL = [...TERMINAL_STATUSES] as string[];
/** Shipment statuses on the courier's side: a tracking event is expected next. */
const ON_THE_WAY = ['booked', 'picked_up', 'in_transit', 'out_for_delivery', 'delivery_failed'];

const iso = (d: Date | undefined | null) => (d ? d.toISOString() : null);
const describeFailure = (f: Failure | null | undefined): string | null => {
  if (!f) return null;
  const type = f.applicationFailureInfo?.type;
  const cause = f.cause?.message ? ` (cause: ${f.cause.message})` : '';
  return `${type ? `${type}: ` : ''}${f.message ?? 'failed'}${cause}`;
};

/**
 * Finds stuck orders (docs/support.md, "Stuck detection"). The read model answers the cheap questions — a
 * wait past its deadline, a shipment without tracking, a refund its provider never confirmed — and Temporal's describe answers the rest
 * for running orders that have not moved for a while: an activity retrying past the threshold, a
 * failing workflow task, a failed or terminated workflow, one that never started. The order's
 * shipment children are examined with it, since courier bookings retry there.
 */
export async function findStuckOrders(
  db: Db,
  temporal: Client,
  t: Thresholds,
  filter: StuckFilter = {},
  now = new Date(),
): Promise<StuckOrder[]> {
  const where = ordersWhere(filter);
  const reasons = new Map<string, StuckReason[]>();
  const add = (orderId: string, r: StuckReason) => reasons.set(orderId, [...(reasons.get(orderId) ?? []), r]);

  // 1. Waits whose deadline passed (plus grace) while the order stayed where it was: the timer did not fire.
  const overdue = await db.$queryRaw<
    Array<{ id: string; pending: { awaiting: string; actor: string; until: string } }>
  >`
    SELECT o.id, o.snapshot->'pendingDecision' AS pending FROM orders o
    WHERE ${where} AND o.snapshot->'pendingDecision'->>'until' IS NOT NULL
      AND (o.snapshot->'pendingDecision'->>'until')::timestamptz < ${new Date(now.getTime() - t.STUCK_WAIT_GRACE_SECONDS * 1000)}`;
  for (const o of overdue)
    add(o.id, {
      kind: 'wait_overdue',
      awaiting: o.pending.awaiting,
      actor: o.pending.actor,
      until: o.pending.until,
      since: o.pending.until,
    });

  // 2. Shipments with the courier and no tracking event for too long (since booking when none came).
  const silent = await db.$queryRaw<
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
    WHERE s.status = ANY(${ON_THE_WAY}) AND ${where}
    GROUP BY s.id
    HAVING coalesce(max(e.received_at), s.created_at) < ${new Date(now.getTime() - t.STUCK_TRACKING_SILENCE_SECONDS * 1000)}`;
  for (const s of silent) {
    const since = new Date((s.last_event_at ?? s.created_at).getTime() + t.STUCK_TRACKING_SILENCE_SECONDS * 1000);
    add(s.order_id, {
      kind: 'tracking_silent',
      shipmentId: s.id,
      trackingNumber: s.tracking_number,
      shipmentStatus: s.status,
      lastEventAt: iso(s.last_event_at),
      since: since.toISOString(),
    });
  }

  // 3. Refunds the provider has not confirmed for too long, on any order (a cancelled one still owes
  //    its customer the money): their workflows keep asking, support should know.
  const unconfirmed = await db.$queryRaw<
    Array<{ id: string; order_id: string; payment_id: string; amount: number; created_at: Date }>
  >`
    SELECT r.id, r.order_id, r.payment_id, r.amount, r.created_at FROM refunds r JOIN orders o ON o.id = r.order_id
    WHERE r.status = 'pending' AND r.created_at < ${new Date(now.getTime() - t.STUCK_REFUND_SECONDS * 1000)} AND ${ordersWhere(filter, { finished: true })}`;
  for (const r of unconfirmed) {
    const since = new Date(r.created_at.getTime() + t.STUCK_REFUND_SECONDS * 1000).toISOString();
    add(r.order_id, {
      kind: 'refund_unconfirmed',
      refundId: r.id,
      paymentId: r.payment_id,
      amount: r.amount,
      decidedAt: r.created_at.toISOString(),
      since,
    });
  }

  // 4. Running orders that have not moved for a while: ask Temporal. Orders with nothing pending
  //    (where activities run) come first, so long customer waits do not crowd them out; among them
  //    the most recently moved first, so a step that just started failing is found at once.
  const quiet = await db.$queryRaw<Array<{ id: string; updated_at: Date }>>`
    SELECT o.id, o.updated_at FROM orders o
    WHERE ${where} AND o.updated_at < ${new Date(now.getTime() - t.STUCK_QUIET_SECONDS * 1000)}
    ORDER BY (o.snapshot->'pendingDecision') IS NOT NULL, o.updated_at DESC
    LIMIT ${t.STUCK_SCAN_LIMIT}`;
  await inBatches(quiet, 8, async (o) => {
    for (const r of await examineOrder(temporal, o.id, o.updated_at, t)) add(o.id, r);
  });

  if (reasons.size === 0) return [];
  const rows = await db.order.findMany({ where: { id: { in: [...reasons.keys()] } } });
  return rows
    .filter((o) => !TERMINAL.includes(o.status) || reasons.get(o.id)!.some((r) => r.kind === 'refund_unconfirmed'))
    .map((o) => {
      const rs = reasons.get(o.id)!;
      const since = rs.map((r) => r.since).sort()[0];
      return {
        orderId: o.id,
        status: o.status,
        merchantId: o.merchantId,
        customerId: o.customerId,
        channel: o.channel,
        createdAt: o.createdAt,
        updatedAt: o.updatedAt,
        since,
        reasons: rs,
      };
    })
    .sort((a, b) => a.since.localeCompare(b.since) || a.orderId.localeCompare(b.orderId));
}

/** The order's workflow and its running shipment children, as Temporal sees them. */
async function examineOrder(
  temporal: Client,
  orderId: string,
  quietSince: Date,
  t: Thresholds,
): Promise<StuckReason[]> {
  const workflowId = orderWorkflowId(orderId);
  const found: StuckReason[] = [];
  const visit = async (id: string, isOrder: boolean) => {
    const handle = temporal.workflow.getHandle(id);
    let d;
    try {
      d = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError && isOrder)
        found.push({ kind: 'workflow_not_started', workflowId: id, since: quietSince.toISOString() });
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    if (d.status.name !== 'RUNNING') {
      // An order that completed has its terminal projection in flight; anything else ended badly.
      if (d.status.name !== 'COMPLETED')
        found.push({
          kind: 'workflow_failed',
          workflowId: id,
          status: d.status.name.toLowerCase(),
          failure: await closingFailure(handle),
          since: iso(d.closeTime) ?? quietSince.toISOString(),
        });
      return;
    }
    for (const a of d.raw.pendingActivities ?? []) {
      if ((a.attempt ?? 0) < t.STUCK_ACTIVITY_ATTEMPTS) continue;
      found.push({
        kind: 'activity_retrying',
        workflowId: id,
        activity: a.activityType?.name ?? 'unknown',
        activityId: a.activityId ?? '',
        attempt: a.attempt ?? 0,
        lastFailure: describeFailure(a.lastFailure),
        nextAttemptAt: iso(optionalTsToDate(a.nextAttemptScheduleTime)),
        since: (await activityScheduledAt(handle, a.activityId ?? '')) ?? quietSince.toISOString(),
      });
    }
    const task = d.raw.pendingWorkflowTask;
    if (task && (task.attempt ?? 0) >= 2)
      found.push({
        kind: 'workflow_task_failing',
        workflowId: id,
        attempt: task.attempt ?? 0,
        since: iso(optionalTsToDate(task.originalScheduledTime)) ?? quietSince.toISOString(),
      });
    if (isOrder) for (const c of d.raw.pendingChildren ?? []) if (c.workflowId) await visit(c.workflowId, false);
  };
  await visit(workflowId, true);
  return found;
}

/** When the retrying activity was first scheduled (its attempts share one scheduled event). */
async function activityScheduledAt(handle: WorkflowHandle, activityId: string): Promise<string | undefined> {
  const { events } = await handle.fetchHistory();
  const scheduled = (events ?? []).find((e) => e.activityTaskScheduledEventAttributes?.activityId === activityId);
  return iso(optionalTsToDate(scheduled?.eventTime)) ?? undefined;
}

/** The failure a closed workflow ended with, in a sentence. */
async function closingFailure(handle: WorkflowHandle): Promise<string | null> {
  const { events } = await handle.fetchHistory();
  const last = (events ?? [])[(events ?? []).length - 1];
  if (last?.workflowExecutionFailedEventAttributes)
    return describeFailure(last.workflowExecutionFailedEventAttributes.failure);
  if (last?.workflowExecutionTerminatedEventAttributes)
    return `terminated: ${last.workflowExecutionTerminatedEventAttributes.reason ?? ''}`.trim();
  if (last?.workflowExecutionTimedOutEventAttributes) return 'timed out';
  return null;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

export interface StuckFilter {
  status?: string;
  customerId?: string;
  merchantId?: string;
  channel?: string;
  from?: string;
  to?: string;
}

/** The running orders (alias `o`) a stuck search looks at. */
function ordersWhere(f: StuckFilter, { finished = false } = {}): Prisma.Sql {
  const conds = finished ? [Prisma.sql`TRUE`] : [Prisma.sql`o.status <> ALL(${TERMINAL})`];
  if (f.status) conds.push(Prisma.sql`o.status = ${f.status}`);
  if (f.customerId) conds.push(Prisma.sql`o.customer_id = ${f.customerId}`);
  if (f.merchantId) conds.push(Prisma.sql`o.merchant_id = ${f.merchantId}`);
  if (f.channel) conds.push(Prisma.sql`o.channel = ${f.channel}`);
  if (f.from) conds.push(Prisma.sql`o.created_at >= ${new Date(f.from)}`);
  if (f.to) conds.push(Prisma.sql`o.created_at <= ${new Date(f.to)}`);
  return Prisma.join(conds, ' AND ');
}

/** One page of stuck orders, longest stuck first; the cursor is the position in that order. */
export async function stuckPage(
  deps: { db: Db; temporal: Client; config: Thresholds },
  filter: StuckFilter,
  limit: number,
  cursor?: string,
) {
  const offset = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
  if (!Number.isInteger(offset) || offset < 0) return undefined;
  const all = await findStuckOrders(deps.db, deps.temporal, deps.config, filter);
  const items = all.slice(offset, offset + limit);
  return {
    items,
    total: all.length,
    nextCursor: offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : null,
  };
}

export interface FailingActivity {
  workflowId: string;
  activity: string;
  activityId: string;
  attempt: number;
  lastFailure: string | null;
}

/**
 * Activities of the order and its running shipments that have failed at least once and are waiting
 * for their next attempt (or running it): what `retry` resets.
 */
export async function failingActivities(
  temporal: Client,
  orderId: string,
): Promise<{ closed?: string; activities: FailingActivity[] }> {
  const activities: FailingActivity[] = [];
  let closed: string | undefined;
  const visit = async (id: string, isOrder: boolean) => {
    let d;
    try {
      d = await temporal.workflow.getHandle(id).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        if (isOrder) closed = 'not started';
        return;
      }
      throw err;
    }
    if (d.status.name !== 'RUNNING') {
      if (isOrder) closed = d.status.name.toLowerCase();
      return;
    }
    for (const a of d.raw.pendingActivities ?? [])
      if ((a.attempt ?? 0) > 1 || a.lastFailure)
        activities.push({
          workflowId: id,
          activity: a.activityType?.name ?? 'unknown',
          activityId: a.activityId ?? '',
          attempt: a.attempt ?? 0,
          lastFailure: describeFailure(a.lastFailure),
        });
    if (isOrder) for (const c of d.raw.pendingChildren ?? []) if (c.workflowId) await visit(c.workflowId, false);
  };
  await visit(orderWorkflowId(orderId), true);
  return { closed, activities };
}

const GRPC_NOT_FOUND = 5;
const grpcCode = (err: unknown) =>
  (err as { code?: number }).code ?? (err as { cause?: { code?: number } }).cause?.code;

/**
 * Retries a failing activity now: Temporal resets it to attempt 1 and dispatches it at once, skipping
 * the backoff. False when it is no longer pending: its own next attempt got through meanwhile.
 */
export async function retryActivityNow(temporal: Client, a: FailingActivity, identity: string): Promise<boolean> {
  try {
    await temporal.workflowService.resetActivity({
      namespace: temporal.options.namespace,
      execution: { workflowId: a.workflowId },
      id: a.activityId,
      identity,
      resetHeartbeat: false,
    });
    return true;
  } catch (err) {
    if (grpcCode(err) === GRPC_NOT_FOUND) return false;
    throw err;
  }
}
