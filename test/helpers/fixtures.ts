import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { temporal } from '@temporalio/proto';
import { findTemporalCli } from '../../scripts/temporal-cli';

export const FIXTURES_DIR = path.resolve(__dirname, '..', 'fixtures');

/**
 * With RECORD_FIXTURES=1, saves a workflow's history (the CLI's JSON, as `temporal workflow show
 * -o json` prints it) for the replay test, test/e2e/replay.test.ts.
 */
export function recordHistory(workflowId: string, name: string): void {
  if (!process.env.RECORD_FIXTURES) return;
  const json = execFileSync(
    findTemporalCli()!,
    ['workflow', 'show', '--address', process.env.TEST_TEMPORAL_ADDRESS!, '-w', workflowId, '-o', 'json'],
    { encoding: 'utf8' },
  );
  writeFileSync(path.join(FIXTURES_DIR, `${name}.history.json`), json);
}

export function recordedHistories(): Array<{ name: string; history: unknown }> {
  return readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.history.json'))
    .map((f) => ({
      name: f.replace('.history.json', ''),
      history: JSON.parse(readFileSync(path.join(FIXTURES_DIR, f), 'utf8')),
    }));
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
