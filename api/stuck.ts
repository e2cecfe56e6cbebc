import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import type { Db } from '../store/db';
import {
  findStuckInRecords,
  ordersWhere,
  TERMINAL,
  type RecordStuckReason,
  type RecordThresholds,
  type StuckFilter,
} from '../store/stuck';
import { orderWorkflowId } from '../contract';

type Failure = temporal.api.failure.v1.IFailure;

/** Why an order is stuck, and since when (ISO 8601): what the records tell, and what only Temporal knows. */
export type StuckReason =
  | RecordStuckReason
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
  | { kind: 'workflow_not_started'; workflowId: string; since: string };

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

type Thresholds = RecordThresholds &
  Pick<Config, 'STUCK_ACTIVITY_ATTEMPTS' | 'STUCK_QUIET_SECONDS' | 'STUCK_SCAN_LIMIT'>;

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

  // 1–3. What the records tell: overdue waits, silent shipments, unconfirmed refunds.
  for (const { orderId, reason } of await findStuckInRecords(db, t, filter, now)) add(orderId, reason);

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
