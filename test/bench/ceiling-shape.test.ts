// The ceiling's shape (bench/ceiling/shape.ts) from the recorded card order and its shipment: the
// counts and the grouping asserted here are read off the fixtures' events by hand. Version 1's
// (orderWorkflow, recorded before it had every patch at start), version 2's (orderWorkflowV2: the
// same path with no patch marker; decision 092) and version 3's (orderWorkflowV3, what new orders
// start and the ceiling's default shape: the order follows its parcel itself, decision 100).
import { eventCounts, extractShape, lifecycleShape, readHistory, sumCounts } from '../../bench/ceiling/shape';
import type { Command } from '../../bench/ceiling/shape-types';
import { fixture } from '../helpers/fixtures';

const ORDER = fixture(1, 'order-card-authorized-completed');
const SHIPMENT = fixture(1, 'shipment-delivered');
const ORDER_V2 = fixture(2, 'order-card-authorized-completed');
const SHIPMENT_V2 = fixture(2, 'shipment-delivered');
const ORDER_V3 = fixture(3, 'order-card-authorized-completed');
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

  it('version 2: the same card order and shipment with no patch marker and no search-attribute upsert', () => {
    const order = eventCounts(readHistory(ORDER_V2));
    const shipment = eventCounts(readHistory(SHIPMENT_V2));
    expect(order).toEqual({
      events: 60,
      workflowTasks: 9,
      localActivities: 15,
      patchMarkers: 0,
      searchAttributeUpserts: 0,
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
      events: 40,
      workflowTasks: 7,
      localActivities: 4,
      patchMarkers: 0,
      searchAttributeUpserts: 0,
      activities: 1,
      signalsReceived: 4,
      signalsSent: 3,
    });
    expect(sumCounts([order, shipment])).toMatchObject({ events: 100, workflowTasks: 16, patchMarkers: 0 });

    const shape = lifecycleShape([ORDER_V2, SHIPMENT_V2]);
    expect(shape.root).toBe('orderWorkflowV2');
    expect(Object.keys(shape.workflows)).toEqual(['orderWorkflowV2', 'shipmentWorkflowV2']);
    const groups = shape.workflows.orderWorkflowV2.groups.map((g) => commands(g.commands));
    expect(groups[0]).toEqual([
      'la:recordSubmission',
      'la:reserveStock',
      'la:assessOrderRisk',
      'activity:authorizeCard',
    ]);
    expect(groups[1]).toEqual(['la:projectOrder', 'la:allocateStock', 'la:notify', 'la:projectOrder', 'child']);
    expect(shape.workflows.orderWorkflowV2.groups[1].commands[4]).toEqual({ c: 'child', shape: 'shipmentWorkflowV2' });
    expect(groups.flat()).not.toContain('patch');
    expect(shape.workflows.shipmentWorkflowV2.groups.map((g) => commands(g.commands))).toEqual([
      ['activity:bookShipment'],
      ['signalParent'],
      ['la:recordTracking', 'signalParent'],
      ['la:recordTracking', 'la:recordTracking', 'la:recordTracking', 'signalParent'],
      ['complete'],
    ]);
  });

  it('version 3, the current shape: the same card order is one workflow, its parcel heard by the order', () => {
    const order = eventCounts(readHistory(ORDER_V3));
    // Version 2's order and shipment: 100 events, 16 workflow tasks (above).
    expect(order).toMatchObject({
      events: 59,
      workflowTasks: 7,
      localActivities: 19,
      patchMarkers: 0,
      searchAttributeUpserts: 0,
      activities: 3,
      signalsReceived: 4,
      signalsSent: 0,
      childrenStarted: 0,
      updates: 1,
    });
    const shape = lifecycleShape([ORDER_V3]);
    expect(shape.root).toBe('orderWorkflowV3');
    expect(Object.keys(shape.workflows)).toEqual(['orderWorkflowV3']);
    const w = shape.workflows.orderWorkflowV3;
    // The driver sends the courier's four events to the order itself, then the confirmation.
    expect(w.external).toEqual([
      ...Array(4).fill({ kind: 'signal', name: 'parcelTracking' }),
      { kind: 'update', name: 'confirmReceipt' },
    ]);
    expect(w.groups.flatMap((g) => commands(g.commands))).not.toContain('child');
    expect(w.groups.flatMap((g) => commands(g.commands))).toContain('activity:bookShipment');
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
