// The ceiling's shape (bench/ceiling/shape.ts) from the recorded card order and its shipment: the
// counts and the grouping asserted here are read off the fixtures' events by hand.
import path from 'node:path';
import { eventCounts, extractShape, lifecycleShape, readHistory, sumCounts } from '../../bench/ceiling/shape';
import type { Command } from '../../bench/ceiling/shape-types';

const fixture = (name: string) => path.resolve(__dirname, '..', 'fixtures', `${name}.history.json`);
const ORDER = fixture('order-card-authorized-completed');
const SHIPMENT = fixture('shipment-delivered');
const commands = (cs: Command[]) => cs.map((c) => (c.c === 'la' || c.c === 'activity' ? `${c.c}:${c.name}` : c.c));

describe('ceiling shape', () => {
  it('counts what the card order and its shipment recorded', () => {
    const order = eventCounts(readHistory(ORDER));
    const shipment = eventCounts(readHistory(SHIPMENT));
    expect(order).toEqual({
      events: 69,
      workflowTasks: 10,
      localActivities: 15,
      patchMarkers: 3,
      searchAttributeUpserts: 3,
      activities: 2,
      timersStarted: 2,
      timersFired: 0,
      timersCancelled: 1,
      signalsReceived: 3,
      signalsSent: 0,
      childrenStarted: 1,
      updates: 1,
    });
    expect(shipment).toMatchObject({
      events: 42,
      workflowTasks: 7,
      localActivities: 4,
      patchMarkers: 1,
      activities: 1,
      signalsReceived: 4,
      signalsSent: 3,
      childrenStarted: 0,
    });
    expect(sumCounts([order, shipment])).toMatchObject({ events: 111, workflowTasks: 17, localActivities: 19 });
  });

  it("groups the order's commands by workflow task, each after the inputs it waited for", () => {
    const shape = extractShape(readHistory(ORDER));
    expect(shape.name).toBe('orderWorkflow');
    expect(shape.groups.map((g) => commands(g.commands))).toEqual([
      ['la:recordSubmission', 'la:reserveStock', 'la:assessOrderRisk', 'patch', 'activity:authorizeCard'],
      ['la:projectOrder', 'la:allocateStock', 'patch', 'la:notify', 'la:projectOrder', 'child'],
      ['la:projectOrder'],
      ['la:shipStock', 'activity:captureCard'],
      ['la:projectOrder', 'la:projectOrder'],
      ['la:projectOrder', 'la:projectOrder', 'timer'],
      ['cancelTimer', 'patch', 'la:recordPoints', 'completeUpdate', 'la:projectOrder', 'timer'],
    ]);
    expect(shape.groups[2].after).toEqual({
      'activity:authorizeCard': 1,
      childStarted: 1,
      'signal:shipmentProgressed': 1,
    });
    expect(shape.groups[6].after).toMatchObject({ childCompleted: 1, 'update:confirmReceipt': 1 });
    expect(shape.groups[0].commands[3]).toEqual({ c: 'patch', id: 'order-card-authorizes' });
    expect(shape.groups[1].commands[5]).toEqual({ c: 'child', shape: 'shipmentWorkflow' });
    // The auto-confirmation window and the after-sales window, as recorded (neither fired).
    expect(shape.groups[5].commands[2]).toEqual({ c: 'timer', ms: 604799988 });
  });

  it('keeps only the inputs from outside for the driver: the courier events and the confirmation', () => {
    const shape = lifecycleShape([ORDER, SHIPMENT]);
    expect(shape.root).toBe('orderWorkflow');
    expect(shape.workflows.orderWorkflow.external).toEqual([{ kind: 'update', name: 'confirmReceipt' }]);
    expect(shape.workflows.shipmentWorkflow.external).toEqual(
      Array(4).fill({ kind: 'signal', name: 'trackingReceived' }),
    );
    const shipment = shape.workflows.shipmentWorkflow.groups;
    expect(shipment.map((g) => commands(g.commands))).toEqual([
      ['activity:bookShipment'],
      ['signalParent'],
      ['la:recordTracking', 'patch', 'signalParent'],
      ['la:recordTracking', 'la:recordTracking', 'la:recordTracking', 'signalParent'],
      ['complete'],
    ]);
    expect(shipment[3].after).toEqual({ 'activity:bookShipment': 1, signaled: 2, 'signal:trackingReceived': 4 });
  });

  it('shortens only the timers that fired in the recording', () => {
    const events = [
      { eventId: '1', workflowExecutionStartedEventAttributes: { workflowType: { name: 'w' } } },
      { eventId: '2', workflowTaskCompletedEventAttributes: {} },
      { eventId: '3', timerStartedEventAttributes: { timerId: '1', startToFireTimeout: '3600s' } },
      { eventId: '4', timerStartedEventAttributes: { timerId: '2', startToFireTimeout: { seconds: 7200, nanos: 0 } } },
      { eventId: '5', timerFiredEventAttributes: { timerId: '1' } },
      { eventId: '6', workflowTaskCompletedEventAttributes: {} },
      { eventId: '7', workflowExecutionCompletedEventAttributes: {} },
    ];
    const shape = extractShape(events, { timerCapMs: 250 });
    expect(shape.groups).toEqual([
      {
        after: {},
        commands: [
          { c: 'timer', ms: 250 },
          { c: 'timer', ms: 7_200_000 },
        ],
      },
      { after: { timer: 1 }, commands: [{ c: 'complete' }] },
    ]);
  });
});
