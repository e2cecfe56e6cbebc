import { Connection, WorkflowClient } from '@temporalio/client';
import type { Db } from '../../store/db';

/**
 * What the chaos run prints for an order that did not end where expected, so that a failure explains
 * itself without reviving the run's database: what the driver did and was answered, the order's
 * timeline and row (our database), and the order's and its shipments' Temporal histories, summarised
 * (event id, time, type and the one detail that matters: signal name, Update id, activity type, timer).
 * Payloads stay encrypted; event types and names are enough to see what Temporal recorded.
 */

/** One line per driver step, timestamped, for the evidence. */
export class Steps {
  readonly lines: string[] = [];
  add(line: string) {
    this.lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  }
}

type HistoryEvent = Record<string, unknown> & { eventId?: unknown; eventTime?: unknown };
const attrs = (e: HistoryEvent, key: string) => e[key] as Record<string, any> | null | undefined;

/** The event's type, read from which `…EventAttributes` field it carries (no proto enum needed). */
function eventName(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith('EventAttributes') && e[k] != null);
  return key ? key.replace(/EventAttributes$/, '') : '?';
}

/** The detail that tells events of one type apart. */
function eventDetail(e: HistoryEvent): string {
  const signal = attrs(e, 'workflowExecutionSignaledEventAttributes');
  if (signal) return `signal ${signal.signalName}`;
  const accepted = attrs(e, 'workflowExecutionUpdateAcceptedEventAttributes');
  if (accepted) return `update ${accepted.acceptedRequest?.input?.name} id ${accepted.protocolInstanceId}`;
  const completed = attrs(e, 'workflowExecutionUpdateCompletedEventAttributes');
  if (completed) return `update id ${completed.meta?.updateId}${completed.outcome?.failure ? ' failed' : ''}`;
  const activity = attrs(e, 'activityTaskScheduledEventAttributes');
  if (activity) return `activity ${activity.activityType?.name}`;
  const marker = attrs(e, 'markerRecordedEventAttributes');
  if (marker) return `marker ${marker.markerName}`;
  const timer = attrs(e, 'timerStartedEventAttributes');
  if (timer) return `timer ${Number(timer.startToFireTimeout?.seconds ?? 0)} s`;
  const external = attrs(e, 'signalExternalWorkflowExecutionInitiatedEventAttributes');
  if (external) return `signal ${external.signalName} → ${external.workflowExecution?.workflowId}`;
  const child = attrs(e, 'startChildWorkflowExecutionInitiatedEventAttributes');
  if (child) return `child ${child.workflowId}`;
  const failed = attrs(e, 'workflowTaskFailedEventAttributes') ?? attrs(e, 'activityTaskFailedEventAttributes');
  if (failed) return `${failed.cause ?? ''} ${failed.failure?.message ?? ''}`.trim().slice(0, 120);
  return '';
}

const WORKFLOW_TASK_NOISE = new Set(['workflowTaskScheduled', 'workflowTaskStarted']);

function eventTime(e: HistoryEvent): string {
  const t = e.eventTime as { seconds?: unknown; nanos?: number } | undefined;
  if (!t?.seconds) return '?';
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString().slice(11, 23);
}

/** A workflow's status, pending activities and history, one line per event (workflow-task bookkeeping left out). */
async function historySummary(client: WorkflowClient, workflowId: string): Promise<string[]> {
  try {
    const handle = client.getHandle(workflowId);
    const description = await handle.describe();
    const pending = (description.raw.pendingActivities ?? []).map(
      (a) =>
        `${a.activityType?.name} attempt ${a.attempt}${a.lastFailure?.message ? `: ${a.lastFailure.message}` : ''}`,
    );
    const history = await handle.fetchHistory();
    const events = (history.events ?? []) as unknown as HistoryEvent[];
    return [
      `${workflowId}: ${description.status.name}, ${events.length} events${pending.length ? `; pending: ${pending.join('; ')}` : ''}`,
      ...events
        .filter((e) => !WORKFLOW_TASK_NOISE.has(eventName(e)))
        .map((e) => `  ${String(e.eventId).padStart(3)} ${eventTime(e)} ${eventName(e)} ${eventDetail(e)}`.trimEnd()),
    ];
  } catch (err) {
    return [`${workflowId}: history not readable (${(err as Error).message.split('\n')[0]})`];
  }
}

/** The evidence for one order: driver steps, our row and timeline, the order's and shipments' histories. */
export async function explainOrder(
  db: Db,
  temporalAddress: string,
  orderId: string,
  steps: string[],
): Promise<string[]> {
  const row = await db.order.findUnique({ where: { id: orderId }, select: { status: true, version: true } });
  const timeline = await db.orderEvent.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });
  const shipments = await db.shipment.findMany({ where: { orderId }, select: { id: true, status: true } });
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const client = new WorkflowClient({ connection });
    const histories: string[] = [];
    for (const id of [`order-${orderId}`, ...shipments.map((s) => s.id)])
      histories.push(...(await historySummary(client, id)));
    return [
      `--- ${orderId}: row ${row?.status ?? 'missing'} v${row?.version ?? '-'}; shipments ${shipments.map((s) => `${s.id} ${s.status}`).join(', ') || 'none'}`,
      'driver:',
      ...steps.map((s) => `  ${s}`),
      'timeline (our database):',
      ...timeline.map((t) => `  ${t.seq} ${t.occurredAt.toISOString().slice(11, 23)} ${t.type} (${t.actor})`),
      'Temporal:',
      ...histories,
    ];
  } finally {
    await connection.close();
  }
}
