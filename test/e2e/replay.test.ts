import { Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { encryptedDataConverter } from '../../platform/codec';
import { recordedHistories } from '../helpers/fixtures';

/**
 * Histories recorded from earlier versions replay against today's workflow code: a change that
 * would alter the commands of a running order fails here until it is put behind patched().
 */
const histories = recordedHistories();

test('there are recorded histories to replay', () => {
  expect(histories.length).toBeGreaterThanOrEqual(3);
});

test.each(histories.map((h) => [h.name, h.history] as const))('%s replays deterministically', async (name, history) => {
  // Histories recorded before payload encryption pass through the codec unchanged; newer ones decrypt.
  const dataConverter = encryptedDataConverter(loadConfig({}).payloadKeys);
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! }, dataConverter },
    history,
    name,
  );
});
