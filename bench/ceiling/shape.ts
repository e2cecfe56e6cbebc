/**
 * A lifecycle's shape from recorded histories (the CLI's `temporal workflow show -o json`, as the
 * replay fixtures under test/fixtures/ are, or the client's fetchHistory()): per workflow task, the
 * inputs it waited for and the commands it issued; and the counts of what the history holds, so a
 * leaner shape can be compared with this one. The interpreter is bench/ceiling/workflow.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command, Group, Inputs, LifecycleShape, WorkflowShape } from './shape-types';

/** A history event in either form: the CLI's JSON (strings, base64) or the client's proto objects. */
type Event = Record<string, any>;

export interface ShapeOptions {
  /** Timers that fired in the recording wait at most this long in the null run (default 1000 ms). */
  timerCapMs?: number;
}

/** The attribute key of an event, without its suffix: `markerRecorded`, `timerStarted`, … */
export const kindOf = (e: Event): string =>
  Object.keys(e)
    .find((k) => k.endsWith('EventAttributes') && e[k])
    ?.replace(/EventAttributes$/, '') ?? 'unknown';

const attrs = (e: Event) => e[`${kindOf(e)}EventAttributes`] as Record<string, any>;

function payloadJson(payload: { data?: string | Uint8Array } | undefined): any {
  const data = payload?.data;
  if (data === undefined) return undefined;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data);
  return JSON.parse(bytes.toString('utf8'));
}

/** `"604799.988s"` or `{ seconds, nanos }` → milliseconds. */
function durationMs(d: string | { seconds?: unknown; nanos?: number } | undefined): number {
  if (!d) return 0;
  if (typeof d === 'string') return Math.round(parseFloat(d) * 1000);
  return Math.round(Number(d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6);
}

/** The command an event records, or undefined when it records none (an input, or bookkeeping). */
function commandOf(e: Event, kind: string, a: Record<string, any>, updates: string[]): Command | undefined {
  switch (kind) {
    case 'markerRecorded':
      if (a.markerName === 'core_local_activity')
        return { c: 'la', name: payloadJson(a.details?.data?.payloads?.[0])?.activity_type ?? 'unknown' };
      if (a.markerName === 'core_patch')
        return { c: 'patch', id: payloadJson(a.details?.['patch-data']?.payloads?.[0])?.id };
      return undefined;
    case 'activityTaskScheduled':
      return { c: 'activity', name: a.activityType?.name ?? 'unknown' };
    case 'timerStarted':
      return { c: 'timer', ms: durationMs(a.startToFireTimeout) };
    case 'timerCanceled':
      return { c: 'cancelTimer' };
    case 'startChildWorkflowExecutionInitiated':
      return { c: 'child', shape: a.workflowType?.name ?? 'unknown' };
    case 'signalExternalWorkflowExecutionInitiated':
      return { c: 'signalParent', name: a.signalName };
    case 'workflowExecutionUpdateCompleted':
      return { c: 'completeUpdate', name: updates.shift() ?? 'unknown' };
    case 'workflowExecutionCompleted':
      return { c: 'complete' };
    default:
      return undefined; // upserts come with their patch; task events, inputs and the rest are not commands
  }
}

/** The input an event is, as the interpreter counts it (undefined: not an input). */
function inputOf(kind: string, a: Record<string, any>, activityNames: Map<string, string>): string | undefined {
  switch (kind) {
    case 'activityTaskCompleted':
      return `activity:${activityNames.get(String(a.scheduledEventId)) ?? 'unknown'}`;
    case 'childWorkflowExecutionStarted':
      return 'childStarted';
    case 'childWorkflowExecutionCompleted':
      return 'childCompleted';
    case 'workflowExecutionSignaled':
      return `signal:${a.signalName}`;
    case 'workflowExecutionUpdateAccepted':
      return `update:${a.acceptedRequest?.input?.name}`;
    case 'timerFired':
      return 'timer';
    case 'externalWorkflowExecutionSignaled':
      return 'signaled';
    default:
      return undefined;
  }
}

/** One workflow's shape: its commands grouped by workflow task, each group after the inputs it waited for. */
export function extractShape(events: Event[], options: ShapeOptions = {}): WorkflowShape {
  const cap = options.timerCapMs ?? 1000;
  const seen: Inputs = {};
  const groups: Group[] = [];
  const activityNames = new Map<string, string>();
  const timers = new Map<string, { c: 'timer'; ms: number }>();
  const openUpdates: string[] = [];
  const external: WorkflowShape['external'] = [];
  let group: Group | undefined;
  let name = 'unknown';
  for (const e of events) {
    const kind = kindOf(e);
    const a = attrs(e) ?? {};
    if (kind === 'workflowExecutionStarted') name = a.workflowType?.name ?? name;
    if (kind === 'workflowTaskCompleted') groups.push((group = { after: { ...seen }, commands: [] }));
    if (kind === 'activityTaskScheduled') activityNames.set(String(e.eventId), a.activityType?.name);
    if (kind === 'workflowExecutionUpdateAccepted') openUpdates.push(a.acceptedRequest?.input?.name);
    const input = inputOf(kind, a, activityNames);
    if (input) {
      seen[input] = (seen[input] ?? 0) + 1;
      if (input.startsWith('signal:')) external.push({ kind: 'signal', name: input.slice(7) });
      if (input.startsWith('update:')) external.push({ kind: 'update', name: input.slice(7) });
      // An update is accepted inside the workflow task that reacts to it: that task waited for it.
      if (input.startsWith('update:') && group && group.commands.length === 0) group.after[input] = seen[input];
      if (kind === 'timerFired') {
        const t = timers.get(String(a.timerId));
        if (t) t.ms = Math.min(t.ms, cap);
      }
    }
    const command = commandOf(e, kind, a, openUpdates);
    if (!command) continue;
    if (!group) throw new Error(`${name}: a ${kind} before the first workflow task completed`);
    if (command.c === 'timer') timers.set(String(a.timerId), command);
    group.commands.push(command);
  }
  return { name, groups: groups.filter((g) => g.commands.length > 0), external };
}

export function readHistory(file: string): Event[] {
  const json = JSON.parse(readFileSync(file, 'utf8')) as { events?: Event[] };
  if (!Array.isArray(json.events)) throw new Error(`${file}: not a history (no events)`);
  return json.events;
}

/**
 * The lifecycle from its histories, the root workflow first (e.g. an order, then its shipment).
 * Signals a child sends its parent are internal: only the others, and updates, come from the driver.
 */
export function lifecycleShape(files: string[], options: ShapeOptions = {}): LifecycleShape {
  const workflows: Record<string, WorkflowShape> = {};
  const source: Record<string, string> = {};
  let root = '';
  for (const file of files) {
    const shape = extractShape(readHistory(file), options);
    workflows[shape.name] = shape;
    source[shape.name] = file;
    root ||= shape.name;
  }
  const internal = new Set(
    Object.values(workflows).flatMap((w) =>
      w.groups.flatMap((g) => g.commands.flatMap((c) => (c.c === 'signalParent' ? [c.name] : []))),
    ),
  );
  for (const w of Object.values(workflows))
    w.external = w.external.filter((x) => x.kind === 'update' || !internal.has(x.name));
  return { source, root, workflows };
}

export interface EventCounts {
  events: number;
  workflowTasks: number;
  localActivities: number;
  patchMarkers: number;
  searchAttributeUpserts: number;
  activities: number;
  timersStarted: number;
  timersFired: number;
  timersCancelled: number;
  signalsReceived: number;
  signalsSent: number;
  childrenStarted: number;
  updates: number;
}

/** What a history holds, by the kinds that cost a lifecycle its work. */
export function eventCounts(events: Event[]): EventCounts {
  const n = (pred: (kind: string, a: Record<string, any>) => boolean) =>
    events.filter((e) => pred(kindOf(e), attrs(e) ?? {})).length;
  return {
    events: events.length,
    workflowTasks: n((k) => k === 'workflowTaskCompleted'),
    localActivities: n((k, a) => k === 'markerRecorded' && a.markerName === 'core_local_activity'),
    patchMarkers: n((k, a) => k === 'markerRecorded' && a.markerName === 'core_patch'),
    searchAttributeUpserts: n((k) => k === 'upsertWorkflowSearchAttributes'),
    activities: n((k) => k === 'activityTaskScheduled'),
    timersStarted: n((k) => k === 'timerStarted'),
    timersFired: n((k) => k === 'timerFired'),
    timersCancelled: n((k) => k === 'timerCanceled'),
    signalsReceived: n((k) => k === 'workflowExecutionSignaled'),
    signalsSent: n((k) => k === 'signalExternalWorkflowExecutionInitiated'),
    childrenStarted: n((k) => k === 'startChildWorkflowExecutionInitiated'),
    updates: n((k) => k === 'workflowExecutionUpdateAccepted'),
  };
}

/** The activity type of each local activity a history recorded, in order (`runSteps` for a batch, decision 107). */
export const localActivityNames = (events: Event[]): string[] =>
  events.flatMap((e) => {
    const command = kindOf(e) === 'markerRecorded' ? commandOf(e, 'markerRecorded', attrs(e), []) : undefined;
    return command?.c === 'la' ? [command.name] : [];
  });

/** The counts of each workflow and their sum. */
export function sumCounts(all: EventCounts[]): EventCounts {
  const total = { ...all[0] };
  for (const k of Object.keys(total) as Array<keyof EventCounts>) total[k] = all.reduce((t, c) => t + c[k], 0);
  return total;
}
