import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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
