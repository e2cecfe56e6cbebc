// Lifecycle version 5 tries each provider call once as a local activity first (docs/decisions/110):
// the same calls, steps and timeline as version 4, without an activity task or the workflow task its
// completion costs; a call whose first attempt fails and may be retried goes on as a regular activity
// with the attempts left (visible to support), and a decline is not retried at all.
import type { temporal } from '@temporalio/proto';
import { eventCounts, localActivityNames } from '../../bench/ceiling/shape';
import { LIFECYCLE_TYPES, type LifecycleVersion } from '../../contract';
import { recordHistory } from '../helpers/fixtures';
import { deliveredOrder, settledHistory, useFlowEnv } from '../helpers/flows';

const env = useFlowEnv();
type Event = temporal.api.history.v1.IHistoryEvent;

const scheduledActivities = (events: Event[]) =>
  events.flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    return a ? [a.activityType?.name] : [];
  });

/** A card order of `version` shipped and delivered; once its history is settled. */
const cardOrderDelivered = (version: LifecycleVersion) =>
  deliveredOrder(env, { paymentMethod: 'card', workflowType: LIFECYCLE_TYPES[version].order });

describe('provider calls tried locally first (version 5)', () => {
  it('the same calls in the same order and the same timeline as version 4, with no activity task', async () => {
    const v4 = await cardOrderDelivered(4);
    const v5 = await cardOrderDelivered(5);

    expect(env.stubs.namesFor(v5.o.id)).toEqual(env.stubs.namesFor(v4.o.id));
    const published = (id: string) => env.stubs.timelineOf(id).map((e) => [e.type, e.status, e.version]);
    expect(published(v5.o.id)).toEqual(published(v4.o.id));
    expect((await v5.o.state()).payments[0]).toMatchObject({ status: 'captured', captured: 10000 });

    expect(scheduledActivities(v4.events)).toEqual(['authorizeCard', 'bookShipment', 'captureCard']);
    expect(scheduledActivities(v5.events)).toEqual([]);
    expect(localActivityNames(v5.events).filter((n) => n !== 'runSteps')).toEqual([
      'authorizeCard',
      'bookShipment',
      'captureCard',
    ]);
    const [before, after] = [eventCounts(v4.events), eventCounts(v5.events)];
    expect(after.workflowTasks).toBeLessThan(before.workflowTasks);
    expect(after.events).toBeLessThan(before.events);
  });

  it('a booking whose local attempt fails goes on as a regular activity with the attempts left, then falls back', async () => {
    const o = await env.startOrder({ behaviour: { bookingFails: ['sf-express'] } });
    const s = await o.booked();
    expect(s.shipments[0]).toMatchObject({ courier: 'yto', status: 'booked' });
    const couriers = env.stubs.callsFor(o.id, 'bookShipment').map((c) => c.args[0].courier);
    // Three attempts for the first courier, as before: one local, two as the regular activity.
    expect(couriers).toEqual(['sf-express', 'sf-express', 'sf-express', 'yto']);
    const events = await settledHistory(o.handle);
    expect(scheduledActivities(events)).toEqual(['bookShipment']);
    const failed = events.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.failure?.message).toBe('sf-express: booking timed out');
    const marker = events.find(
      (e) =>
        e.markerRecordedEventAttributes?.markerName === 'core_local_activity' &&
        e.markerRecordedEventAttributes.failure,
    );
    expect(marker?.markerRecordedEventAttributes?.failure?.message).toBe('sf-express: booking timed out');
  });

  it('a decline is not tried again: no regular activity follows the local attempt', async () => {
    const o = await env.startOrder({ paymentMethod: 'card', behaviour: { cardDeclines: 'insufficient funds' } });
    await o.until((x) => x.status === 'cancelled', 'cancelled by the decline');
    expect(env.stubs.callsFor(o.id, 'authorizeCard')).toHaveLength(1);
    const events = await settledHistory(o.handle);
    expect(scheduledActivities(events)).toEqual([]);
    // RECORD_FIXTURES=1: kept for test/e2e/replay.test.ts (test/fixtures/v5/).
    recordHistory(o.handle.workflowId, 'order-card-declined');
  });
});
