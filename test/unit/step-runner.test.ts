// The activity side of batched database steps (activities/steps.ts, docs/decisions/107): a batch runs
// its steps in order and answers their results; a retryable error retries the whole batch; a step that
// must not be retried stops it, telling the workflow which step failed and what the ones before answered.
import { ApplicationFailure } from '@temporalio/common';
import { stepRunner, type BatchStop } from '../../activities/steps';

function recorder() {
  const ran: string[] = [];
  const steps = {
    async reserve(orderId: string) {
      ran.push(`reserve ${orderId}`);
      return { held: 2 };
    },
    async project(version: number) {
      ran.push(`project ${version}`);
    },
    async refuse() {
      ran.push('refuse');
      throw ApplicationFailure.create({ type: 'NotAllowed', message: 'no payment', nonRetryable: true, details: [7] });
    },
    async flake() {
      ran.push('flake');
      throw new Error('connection reset');
    },
  };
  return { ran, runSteps: stepRunner(steps) };
}

test('runs the steps in order and answers each result in its place', async () => {
  const { ran, runSteps } = recorder();
  const results = await runSteps([
    { name: 'project', args: [1] },
    { name: 'reserve', args: ['o-1'] },
    { name: 'project', args: [2] },
  ]);
  expect(ran).toEqual(['project 1', 'reserve o-1', 'project 2']);
  expect(results).toEqual([undefined, { held: 2 }, undefined]);
});

test('a retryable error fails the batch as it is, so the local activity retries all of it', async () => {
  const { ran, runSteps } = recorder();
  const err = await runSteps([
    { name: 'project', args: [1] },
    { name: 'flake', args: [] },
    { name: 'project', args: [2] },
  ]).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ApplicationFailure);
  expect(ran).toEqual(['project 1', 'flake']);
});

test('a step that must not be retried stops the batch: its own failure, plus where it stopped and what came before', async () => {
  const { ran, runSteps } = recorder();
  const err = (await runSteps([
    { name: 'reserve', args: ['o-1'] },
    { name: 'refuse', args: [] },
    { name: 'project', args: [2] },
  ]).catch((e: unknown) => e)) as ApplicationFailure;
  expect(ran).toEqual(['reserve o-1', 'refuse']);
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: 'NotAllowed', message: 'no payment', nonRetryable: true });
  const stop: BatchStop = { failedAt: 1, results: [{ held: 2 }] };
  expect(err.details).toEqual([7, stop]);
});

test('an unknown step name is refused without running anything after it', async () => {
  const { ran, runSteps } = recorder();
  await expect(runSteps([{ name: 'bookShipment', args: [] }])).rejects.toMatchObject({
    type: 'UnknownStep',
    nonRetryable: true,
  });
  expect(ran).toEqual([]);
});
