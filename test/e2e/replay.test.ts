import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { LIFECYCLE_TYPES, LIFECYCLE_VERSIONS } from '../../contract';
import { encryptedDataConverter } from '../../platform/codec';
import { recordedHistories, workflowTypeOf } from '../helpers/fixtures';

/**
 * Histories recorded from earlier versions replay against today's workflow code: a change that
 * would alter the commands of a running order fails here until it is put behind a patch. The
 * histories of each lifecycle version (test/fixtures/v<n>/, contract/versions.ts) replay against that
 * version's workflow types, which the worker registers until their runs have all closed (decision 092).
 */
const histories = recordedHistories();

test('there are recorded histories to replay', () => {
  expect(histories.length).toBeGreaterThanOrEqual(3);
});

test('every workflow type of every lifecycle version still registered has recorded histories, in its own folder', () => {
  for (const version of LIFECYCLE_VERSIONS)
    for (const type of Object.values(LIFECYCLE_TYPES[version])) {
      const own = histories.filter((h) => workflowTypeOf(h.history) === type);
      expect({ type, recorded: own.length > 0 }).toEqual({ type, recorded: true });
      expect(own.filter((h) => !h.name.startsWith(`v${version}/`))).toEqual([]);
    }
});

test.each(histories.map((h) => [h.name, h.history] as const))('%s replays deterministically', async (name, history) => {
  // Histories recorded before payload encryption pass through the codec unchanged; newer ones decrypt.
  const dataConverter = encryptedDataConverter(loadConfig({}).payloadKeys);
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, dataConverter },
    history,
    name.replace('/', '-'),
  );
});
