import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import {
  CURRENT_LIFECYCLE,
  holdsParcels,
  lifecycleVersionOf,
  orderWorkflowId,
  shipmentWorkflowId,
  type LifecycleVersion,
} from '../../contract';
import { findTemporalCli } from '../../scripts/temporal-cli';

export const FIXTURES_DIR = path.resolve(__dirname, '..', 'fixtures');

/**
 * Where the histories of one lifecycle version live (contract/versions.ts): `test/fixtures/v<n>/`.
 * A version's folder goes with its workflow types once their runs have all closed (decision 092).
 */
export const fixturesOf = (version: LifecycleVersion) => path.join(FIXTURES_DIR, `v${version}`);

/** The path of a recorded history, e.g. fixture(2, 'order-card-authorized-completed'). */
export const fixture = (version: LifecycleVersion, name: string) =>
  path.join(fixturesOf(version), `${name}.history.json`);

/**
 * With RECORD_FIXTURES=1, saves a workflow's history (the CLI's JSON, as `temporal workflow show
 * -o json` prints it) for the replay test, test/e2e/replay.test.ts, in the folder of the current
 * lifecycle version. A run of an older version's type (a test that starts one on purpose) is not
 * saved: that version's histories stay as its own code recorded them, the proof it still replays.
 * The history is taken once no workflow task is in flight: one cut in the middle of a task ends with
 * commands its replay issues but cannot find, and never replays.
 */
export function recordHistory(workflowId: string, name: string): void {
  if (!process.env.RECORD_FIXTURES) return;
  const json = settledHistoryJson(workflowId);
  const type = workflowTypeOf(JSON.parse(json));
  const version = lifecycleVersionOf(type ?? '');
  if (version === undefined) throw new Error(`${workflowId}: ${type} is not a workflow type of contract/versions.ts`);
  if (version !== CURRENT_LIFECYCLE) return;
  mkdirSync(fixturesOf(version), { recursive: true });
  writeFileSync(fixture(version, name), json);
}

/**
 * With RECORD_FIXTURES=1, saves the history that holds parcel `seq` of an order of the current
 * version: its shipment child's as `shipment-<name>` (versions 1 and 2), or its order's as
 * `order-<name>`, which follows its parcels itself (version 3 on, docs/decisions/100).
 */
export function recordParcelHistory(orderId: string, seq: number, name: string): void {
  if (holdsParcels(CURRENT_LIFECYCLE)) recordHistory(orderWorkflowId(orderId), `order-${name}`);
  else recordHistory(shipmentWorkflowId(orderId, seq), `shipment-${name}`);
}

/** The workflow type a recorded history was started as. */
export const workflowTypeOf = (history: unknown): string | undefined =>
  (history as { events?: Event[] }).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ??
  undefined;

const TASK_IN_FLIGHT = new Set(['EVENT_TYPE_WORKFLOW_TASK_SCHEDULED', 'EVENT_TYPE_WORKFLOW_TASK_STARTED']);

/** The CLI's JSON of a workflow's history, read again (up to 10 s) while its last event is a task in flight. */
function settledHistoryJson(workflowId: string): string {
  const cli = findTemporalCli()!;
  const args = ['workflow', 'show', '--address', process.env.TEST_TEMPORAL_ADDRESS!, '-w', workflowId, '-o', 'json'];
  for (let tries = 0; ; tries++) {
    const json = execFileSync(cli, args, { encoding: 'utf8' });
    const last = (JSON.parse(json) as { events?: Array<{ eventType?: string }> }).events?.at(-1)?.eventType;
    if (!TASK_IN_FLIGHT.has(last ?? '') || tries === 100) return json;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // a sync pause: callers record synchronously
  }
}

/** Every recorded history, named `v<n>/<name>`: each version's shapes that can still be running. */
export function recordedHistories(): Array<{ name: string; history: unknown }> {
  return readdirSync(FIXTURES_DIR)
    .filter((d) => /^v\d+$/.test(d))
    .flatMap((d) =>
      readdirSync(path.join(FIXTURES_DIR, d))
        .filter((f) => f.endsWith('.history.json'))
        .map((f) => ({
          name: `${d}/${f.replace('.history.json', '')}`,
          history: JSON.parse(readFileSync(path.join(FIXTURES_DIR, d, f), 'utf8')),
        })),
    );
}

type Event = temporal.api.history.v1.IHistoryEvent;

/** The patch id a marker event records, or undefined for other events. */
function patchOf(e: Event): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id : undefined;
}

const isActivity = (e: Event) =>
  e.markerRecordedEventAttributes?.markerName === 'core_local_activity' || !!e.activityTaskScheduledEventAttributes;

/** The patches recorded before the history's first activity (local or not), and those recorded after it. */
export function patchesAroundFirstActivity(events: Event[]) {
  const first = events.findIndex(isActivity);
  const ids = (from: Event[]) => from.map(patchOf).filter((id): id is string => id !== undefined);
  return { before: ids(events.slice(0, first)), after: ids(events.slice(first)) };
}
