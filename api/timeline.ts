import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type { AppDeps } from './deps';
import { orderWorkflowId, refundWorkflowId } from '../contract';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure | null | undefined;

/** One line of an order's timeline, from the business record, support's audit or a workflow history. */
export interface TimelineLine {
  at: string;
  source: 'business' | 'courier' | 'notification' | 'payment' | 'support' | 'workflow';
  /** The workflow it happened in (workflow lines), or the business actor. */
  workflowId?: string;
  actor?: string;
  kind: string;
  summary: string;
  error?: string;
  attempt?: number;
}

export interface WorkflowLink {
  workflowId: string;
  status: string;
  historyLength: number;
  url: string;
}

/**
 * Read-model writes are the business lines themselves; listing their markers would only repeat them. A
 * version 4 run's batch of database steps (`runSteps`, decision 107) carries them too, and names no step.
 */
const QUIET_LOCAL_ACTIVITIES = new Set(['projectOrder', 'runSteps']);

const iso = (ts: Parameters<typeof optionalTsToDate>[0]) => (optionalTsToDate(ts) ?? new Date(0)).toISOString();
const failureText = (f: Failure): string | undefined =>
  f
    ? `${f.applicationFailureInfo?.type ? `${f.applicationFailureInfo.type}: ` : ''}${f.message ?? 'failed'}${f.cause?.message ? ` (cause: ${f.cause.message})` : ''}`
    : undefined;
const seconds = (d: { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined) =>
  d ? Number(String(d.seconds ?? 0)) + (d.nanos ?? 0) / 1e9 : 0;

function decodeJson(p: temporal.api.common.v1.IPayload | undefined): Record<string, unknown> | undefined {
  try {
    const encoding = p?.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : '';
    return encoding === 'json/plain' && p?.data
      ? (JSON.parse(Buffer.from(p.data).toString()) as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A readable summary of one workflow history: activities with their attempts and errors (one line when
 * they end), local activities, timers, signals received and sent, updates, children, failed workflow
 * tasks, and how the workflow ended. Pending activities come from describe (retrying ones say so).
 */
export function summarizeHistory(workflowId: string, events: HistoryEvent[]): TimelineLine[] {
  const lines: TimelineLine[] = [];
  const at = (e: HistoryEvent) => iso(e.eventTime);
  const add = (e: HistoryEvent, kind: string, summary: string, extra: Partial<TimelineLine> = {}) =>
    lines.push({ at: at(e), source: 'workflow', workflowId, kind, summary, ...extra });
  const activities = new Map<string, { name: string; attempt: number; lastFailure?: string }>();
  const updates = new Map<string, string>();
  const timers = new Map<string, number>();

  for (const e of events) {
    const id = String(e.eventId ?? '');
    if (e.workflowExecutionStartedEventAttributes)
      add(
        e,
        'workflow.started',
        `${e.workflowExecutionStartedEventAttributes.workflowType?.name ?? 'workflow'} started`,
      );
    else if (e.activityTaskScheduledEventAttributes)
      activities.set(id, { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? 'activity', attempt: 1 });
    else if (e.activityTaskStartedEventAttributes) {
      const a = activities.get(String(e.activityTaskStartedEventAttributes.scheduledEventId ?? ''));
      if (a)
        Object.assign(a, {
          attempt: e.activityTaskStartedEventAttributes.attempt ?? 1,
          lastFailure: failureText(e.activityTaskStartedEventAttributes.lastFailure),
        });
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = activities.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId ?? ''));
      if (a)
        add(e, 'activity.completed', `${a.name} completed${a.attempt > 1 ? ` on attempt ${a.attempt}` : ''}`, {
          attempt: a.attempt,
          error: a.lastFailure,
        });
    } else if (e.activityTaskFailedEventAttributes) {
      const a = activities.get(String(e.activityTaskFailedEventAttributes.scheduledEventId ?? ''));
      add(e, 'activity.failed', `${a?.name ?? 'activity'} failed after ${a?.attempt ?? 1} attempt(s)`, {
        attempt: a?.attempt,
        error: failureText(e.activityTaskFailedEventAttributes.failure),
      });
    } else if (e.activityTaskTimedOutEventAttributes) {
      const a = activities.get(String(e.activityTaskTimedOutEventAttributes.scheduledEventId ?? ''));
      add(e, 'activity.timed_out', `${a?.name ?? 'activity'} timed out after ${a?.attempt ?? 1} attempt(s)`, {
        attempt: a?.attempt,
        error: failureText(e.activityTaskTimedOutEventAttributes.failure),
      });
    } else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      const data = decodeJson(e.markerRecordedEventAttributes.details?.data?.payloads?.[0]);
      const name = String((data?.activity_type as string | undefined) ?? 'local activity');
      const failure = failureText(e.markerRecordedEventAttributes.failure);
      if (!QUIET_LOCAL_ACTIVITIES.has(name) || failure) {
        const attempt = Number(data?.attempt ?? 1);
        add(
          e,
          failure ? 'local_activity.failed' : 'local_activity.completed',
          `${name} ${failure ? 'failed' : 'done'}${attempt > 1 ? ` on attempt ${attempt}` : ''}`,
          { attempt, error: failure },
        );
      }
    } else if (e.timerStartedEventAttributes) {
      const s = seconds(e.timerStartedEventAttributes.startToFireTimeout);
      timers.set(e.timerStartedEventAttributes.timerId ?? id, s);
      add(e, 'timer.started', `timer of ${formatSeconds(s)} started`);
    } else if (e.timerFiredEventAttributes)
      add(
        e,
        'timer.fired',
        `timer of ${formatSeconds(timers.get(e.timerFiredEventAttributes.timerId ?? '') ?? 0)} fired`,
      );
    else if (e.timerCanceledEventAttributes)
      add(
        e,
        'timer.cancelled',
        `timer of ${formatSeconds(timers.get(e.timerCanceledEventAttributes.timerId ?? '') ?? 0)} cancelled (what it waited for happened)`,
      );
    else if (e.workflowExecutionSignaledEventAttributes)
      add(e, 'signal.received', `signal ${e.workflowExecutionSignaledEventAttributes.signalName} received`);
    else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) {
      const a = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      add(e, 'signal.sent', `signal ${a.signalName} sent to ${a.workflowExecution?.workflowId ?? 'another workflow'}`);
    } else if (e.workflowExecutionUpdateAcceptedEventAttributes) {
      const a = e.workflowExecutionUpdateAcceptedEventAttributes;
      const name = a.acceptedRequest?.input?.name ?? 'update';
      updates.set(id, name);
      add(e, 'update.accepted', `update ${name} accepted`);
    } else if (e.workflowExecutionUpdateCompletedEventAttributes) {
      const a = e.workflowExecutionUpdateCompletedEventAttributes;
      const name = updates.get(String(a.acceptedEventId ?? '')) ?? 'update';
      const error = failureText(a.outcome?.failure);
      add(e, error ? 'update.failed' : 'update.completed', `update ${name} ${error ? 'refused' : 'completed'}`, {
        error,
      });
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes)
      add(
        e,
        'child.started',
        `child workflow ${e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId} started`,
      );
    else if (e.childWorkflowExecutionCompletedEventAttributes)
      add(
        e,
        'child.completed',
        `child workflow ${e.childWorkflowExecutionCompletedEventAttributes.workflowExecution?.workflowId} completed`,
      );
    else if (e.childWorkflowExecutionFailedEventAttributes)
      add(
        e,
        'child.failed',
        `child workflow ${e.childWorkflowExecutionFailedEventAttributes.workflowExecution?.workflowId} failed`,
        { error: failureText(e.childWorkflowExecutionFailedEventAttributes.failure) },
      );
    else if (e.workflowTaskFailedEventAttributes)
      add(e, 'workflow_task.failed', 'workflow task failed', {
        error: failureText(e.workflowTaskFailedEventAttributes.failure),
      });
    else if (e.workflowExecutionCompletedEventAttributes) add(e, 'workflow.completed', 'workflow completed');
    else if (e.workflowExecutionFailedEventAttributes)
      add(e, 'workflow.failed', 'workflow failed', {
        error: failureText(e.workflowExecutionFailedEventAttributes.failure),
      });
    else if (e.workflowExecutionTerminatedEventAttributes)
      add(
        e,
        'workflow.terminated',
        `workflow terminated${e.workflowExecutionTerminatedEventAttributes.reason ? `: ${e.workflowExecutionTerminatedEventAttributes.reason}` : ''}`,
      );
    else if (e.workflowExecutionTimedOutEventAttributes) add(e, 'workflow.timed_out', 'workflow timed out');
  }
  return lines;
}

function formatSeconds(s: number): string {
  if (s >= 86400 && s % 3600 === 0) return `${+(s / 86400).toFixed(2)} d`;
  if (s >= 3600) return `${+(s / 3600).toFixed(2)} h`;
  if (s >= 60) return `${+(s / 60).toFixed(2)} min`;
  return `${+s.toFixed(3)} s`;
}

/** History and live pending activities of one workflow; undefined when it does not exist. */
async function workflowLines(temporal: Client, workflowId: string, uiBase: string) {
  const handle = temporal.workflow.getHandle(workflowId);
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
  const { events = [] } = await handle.fetchHistory();
  const lines = summarizeHistory(workflowId, events ?? []);
  const now = new Date().toISOString();
  for (const a of description.raw.pendingActivities ?? []) {
    const attempt = a.attempt ?? 1;
    const error = failureText(a.lastFailure);
    const next = optionalTsToDate(a.nextAttemptScheduleTime);
    lines.push({
      at: now,
      source: 'workflow',
      workflowId,
      kind: error ? 'activity.retrying' : 'activity.running',
      summary: error
        ? `${a.activityType?.name} retrying: attempt ${attempt}${next ? `, next at ${next.toISOString()}` : ''}`
        : `${a.activityType?.name} running (attempt ${attempt})`,
      attempt,
      error,
    });
  }
  const children = (events ?? [])
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
    .filter((id): id is string => Boolean(id));
  const link: WorkflowLink = {
    workflowId,
    status: description.status.name.toLowerCase(),
    historyLength: description.historyLength,
    url: `${uiBase}/workflows/${encodeURIComponent(workflowId)}`,
  };
  return { lines, children, link };
}

/**
 * One view of an order (GET /v1/ops/orders/{id}/timeline): business timeline, courier scans and
 * support's audited operations, merged in time with the summarised histories of the order's workflow
 * and its shipment children, plus deep links into Temporal's Web UI.
 */
export async function loadTimeline({ db, temporal, config }: AppDeps, orderId: string) {
  const order = await db.order.findUnique({
    where: { id: orderId },
    include: { events: { orderBy: { seq: 'asc' } }, shipments: { include: { events: true } } },
  });
  if (!order) return undefined;
  const audit = await db.auditEntry.findMany({ where: { orderId }, orderBy: { id: 'asc' } });
  const notifications = await db.notification.findMany({ where: { orderId }, orderBy: { createdAt: 'asc' } });
  const refunds = await db.refund.findMany({
    where: { orderId },
    orderBy: { createdAt: 'asc' },
    include: { payment: { select: { method: true, currency: true } } },
  });
  const uiBase = `${config.TEMPORAL_UI_URL}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}`;

  const lines: TimelineLine[] = [
    ...order.events.map((e): TimelineLine => ({
      at: e.occurredAt.toISOString(),
      source: 'business',
      actor: e.actor,
      kind: e.type,
      summary: businessSummary(e.type, e.detail),
    })),
    ...order.shipments.flatMap((s) =>
      s.events.map((e): TimelineLine => ({
        at: e.occurredAt.toISOString(),
        source: 'courier',
        actor: s.courier ?? undefined,
        kind: `tracking.${e.type}`,
        summary: `${s.trackingNumber}: ${e.type.replace(/_/g, ' ')}${e.location ? ` at ${e.location}` : ''}${e.signedBy ? `, signed by ${e.signedBy}` : ''}`,
      })),
    ),
    ...notifications.map((n): TimelineLine => ({
      at: (n.sentAt ?? n.createdAt).toISOString(),
      source: 'notification',
      actor: `${n.recipientType}:${n.recipientId}`,
      kind: `notification.${n.status}`,
      summary: `${n.channel} ${n.kind} to ${n.recipientType} ${n.status}${n.attempts > 1 ? ` after ${n.attempts} attempts` : ''} (id ${n.id})`,
      ...(n.lastError ? { error: n.lastError } : {}),
    })),
    ...refunds.flatMap((r) => refundLines(r)),
    ...audit.map((a): TimelineLine => ({
      at: a.at.toISOString(),
      source: 'support',
      actor: `${a.actorRole}:${a.actorName}`,
      kind: a.operation,
      summary: `${a.operation} ${a.outcome} (${a.statusCode}): ${a.reason}`,
    })),
  ];

  const workflows: WorkflowLink[] = [];
  const main = await workflowLines(temporal, orderWorkflowId(orderId), uiBase);
  if (main) {
    lines.push(...main.lines);
    workflows.push(main.link);
    for (const child of await Promise.all(main.children.map((id) => workflowLines(temporal, id, uiBase)))) {
      if (!child) continue;
      lines.push(...child.lines);
      workflows.push(child.link);
    }
  }
  // Each wallet refund has its confirmation workflow beside the order's (not a child: it outlives nothing).
  for (const r of refunds.filter((x) => x.payment.method === 'wechat_pay' || x.payment.method === 'alipay')) {
    const confirmation = await workflowLines(temporal, refundWorkflowId(r.id), uiBase);
    if (!confirmation) continue;
    lines.push(...confirmation.lines);
    workflows.push(confirmation.link);
  }
  // Stable: equal times keep business before workflow lines, each in its own order.
  const ordered = lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => a.l.at.localeCompare(b.l.at) || a.i - b.i)
    .map(({ l }) => l);
  return {
    orderId,
    status: order.status,
    links: { temporalUi: `${uiBase}/workflows/${encodeURIComponent(orderWorkflowId(orderId))}`, workflows },
    entries: ordered,
  };
}

/** A refund's decision, and its confirmation by the provider once it came (at once for cards and cash on delivery, by notification for wallets). */
function refundLines(r: {
  id: string;
  amount: number;
  reason: string;
  status: string;
  createdAt: Date;
  confirmedAt: Date | null;
  payment: { method: string; currency: string };
}): TimelineLine[] {
  const what = `refund ${r.id} of ${r.amount} ${r.payment.currency}`;
  const lines: TimelineLine[] = [
    {
      at: r.createdAt.toISOString(),
      source: 'payment',
      actor: r.payment.method,
      kind: 'refund.requested',
      summary: `${what} decided (${r.reason})${r.status === 'pending' ? ", awaiting the provider's confirmation" : ''}`,
    },
  ];
  if (r.confirmedAt && r.status !== 'pending') {
    lines.push({
      at: r.confirmedAt.toISOString(),
      source: 'payment',
      actor: r.payment.method,
      kind: `refund.${r.status}`,
      summary:
        r.status === 'failed'
          ? `${what} failed at ${r.payment.method}: flagged for support`
          : `${what} confirmed by ${r.payment.method}`,
    });
  }
  return lines;
}

function businessSummary(type: string, detail: unknown): string {
  const d = (detail ?? {}) as Record<string, unknown>;
  const parts = Object.entries(d)
    .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k} ${String(v)}`);
  return `${type.replace(/[._]/g, ' ')}${parts.length ? ` — ${parts.join(', ')}` : ''}`;
}
