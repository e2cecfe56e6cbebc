// Lifecycle version 4 batches a run's database steps (docs/decisions/107): the steps an order takes
// between two waits are written by one local activity, `runSteps`, instead of one each. The same path
// run as version 3 and as version 4 takes the same steps in the same order and publishes the same
// timeline; version 4 only records fewer local activities, and its history replays.
import { Worker } from '@temporalio/worker';
import { eventCounts, localActivityNames } from '../../bench/ceiling/shape';
import { LIFECYCLE_TYPES, type LifecycleVersion } from '../../contract';
import { recordHistory } from '../helpers/fixtures';
import { deliveredOrder, shortOrderOptions, useFlowEnv } from '../helpers/flows';
import type { ActivityName } from '../helpers/stub-activities';

const env = useFlowEnv();

/** Provider calls: regular activities, never batched; their place among the database steps may differ. */
const PROVIDER_CALLS = new Set<ActivityName>([
  'authorizeCard',
  'chargeCard',
  'captureCard',
  'refundPayment',
  'createWalletPayment',
  'closeWalletPayment',
  'bookShipment',
  'cancelBooking',
  'requestReturnToSender',
]);

/** An order of `version` with a shortage, its default taken, shipped and delivered; once its history is settled. */
const shortOrderDelivered = (version: LifecycleVersion) =>
  deliveredOrder(env, shortOrderOptions(LIFECYCLE_TYPES[version].order));

const databaseSteps = (orderId: string) => env.stubs.namesFor(orderId).filter((n) => !PROVIDER_CALLS.has(n));
const published = (orderId: string) => env.stubs.timelineOf(orderId).map((e) => [e.type, e.status, e.version]);

describe('batched database steps (version 4)', () => {
  it('the same steps in the same order, the same timeline, in fewer local activities; the history replays', async () => {
    const v3 = await shortOrderDelivered(3);
    const v4 = await shortOrderDelivered(4);

    expect(databaseSteps(v4.o.id)).toEqual(databaseSteps(v3.o.id));
    expect(databaseSteps(v4.o.id)).toEqual(expect.arrayContaining(['reserveStock', 'allocateStock', 'projectOrder']));
    expect(published(v4.o.id)).toEqual(published(v3.o.id));
    expect((await v4.o.state()).lines[0]).toMatchObject({ delivered: 1, refunded: 1 });

    const before = localActivityNames(v3.events);
    const after = localActivityNames(v4.events);
    expect(before).toContain('projectOrder');
    expect(after).toEqual(after.map(() => 'runSteps'));
    // Version 3 takes one local activity per step; version 4 one per run of steps between two waits.
    expect(before.length).toBe(databaseSteps(v3.o.id).length);
    expect(after.length).toBeLessThanOrEqual(before.length / 2);
    expect(eventCounts(v4.events).events).toBeLessThan(eventCounts(v3.events).events);

    // RECORD_FIXTURES=1: kept for test/e2e/replay.test.ts (test/fixtures/v4/).
    recordHistory(v4.o.handle.workflowId, 'order-shortage-partial-delivered');
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } },
        await v4.o.handle.fetchHistory(),
        v4.o.id,
      ),
    ).resolves.toBeUndefined();
  });

  it.each([3, 4] as const)(
    'version %i: a step that must not be retried fails the order as it does alone; the write before it is written',
    async (version) => {
      const o = await env.startOrder({
        behaviour: { refusedStep: 'allocateStock' },
        workflowType: LIFECYCLE_TYPES[version].order,
      });
      // Version 4 takes the payment's projection and the allocation in one batch; the failure is the allocation's.
      const failure = await o.handle.result().catch((e: unknown) => e);
      expect(failure).toMatchObject({
        cause: { type: 'Refused', message: 'allocateStock refused', nonRetryable: true },
      });
      expect(env.stubs.timelineOf(o.id).map((e) => e.type)).toEqual(['order.submitted', 'payment.authorized']);
      expect(databaseSteps(o.id).slice(-2)).toEqual(['projectOrder', 'allocateStock']);
    },
  );
});
