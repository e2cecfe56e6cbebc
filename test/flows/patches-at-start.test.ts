// Patches decided in the first workflow task (workflows/order/patches.ts, decidePatchesAtStart). A
// `patched()` that ran right after a local activity could land in a later workflow task than the
// activity's marker (a query or a worker kill in between); a replay then answered false and the order
// was stuck on a nondeterminism error (seen in `npm run chaos`: an order awaiting a stock decision,
// `order-negotiates-shortage`). Version 1 orders and shipments (`orderWorkflow`, still registered for
// the orders started on it) record every patch marker before their first activity, so none can follow
// one; versions 2 and 3 took every patch and record no marker at all (docs/decisions/092); version 3
// (`orderWorkflowV3`, what new orders start) follows its parcels itself (docs/decisions/100).
import { Worker } from '@temporalio/worker';
import { holdsParcels, LIFECYCLE_TYPES, type LifecycleVersion } from '../../contract';
import { eventCounts } from '../../bench/ceiling/shape';
import { PATCH } from '../../workflows/order/patches';
import { patchesAroundFirstActivity, recordHistory } from '../helpers/fixtures';
import { shortOrderOptions, useFlowEnv } from '../helpers/flows';

const env = useFlowEnv();

/** An order of `version` with a shortage, shipped and delivered: its history and its shipment's. */
async function shortOrderDelivered(version: LifecycleVersion) {
  const o = await env.startOrder(shortOrderOptions(LIFECYCLE_TYPES[version].order));
  await o.booked();
  await o.track(1, 'picked_up');
  await o.track(1, 'in_transit');
  await o.track(1, 'delivered', { signedBy: '张三' });
  await o.until((s) => s.status === 'delivered', 'delivered');
  const shipment = env.client.workflow.getHandle(`shipment-${o.id}-1`);
  return {
    o,
    shipment,
    order: (await o.handle.fetchHistory()).events ?? [],
    // Version 3 orders follow their parcels themselves: no shipment workflow (docs/decisions/100).
    shipmentEvents: holdsParcels(version) ? [] : ((await shipment.fetchHistory()).events ?? []),
  };
}

const replays = (workflowId: string, history: Parameters<typeof Worker.runReplayHistory>[1]) =>
  Worker.runReplayHistory({ workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! } }, history, workflowId);

describe('patches decided at start', () => {
  it('a version 1 order with a shortage, shipped and delivered: every patch marker precedes the first activity, and both histories replay', async () => {
    const { o, shipment, order, shipmentEvents } = await shortOrderDelivered(1);
    expect(order[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('orderWorkflow');
    const orderPatches = patchesAroundFirstActivity(order);
    expect(orderPatches.after).toEqual([]);
    expect([...orderPatches.before].sort()).toEqual([...Object.values(PATCH)].sort());

    // A version 1 order starts a version 1 shipment.
    expect(shipmentEvents[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('shipmentWorkflow');
    const shipmentPatches = patchesAroundFirstActivity(shipmentEvents);
    expect(shipmentPatches.after).toEqual([]);
    expect(shipmentPatches.before).toEqual(
      expect.arrayContaining(['shipment-patches-decided-at-start', 'shipment-reports-milestones-only']),
    );

    // The version 1 fixtures of this path were recorded by the code of their time and stay as they are.
    for (const [workflowId, handle] of [
      [o.id, o.handle],
      [shipment.workflowId, shipment],
    ] as const)
      await expect(replays(workflowId, await handle.fetchHistory())).resolves.toBeUndefined();
  });

  it('a version 2 order on the same path records no patch marker and no search-attribute upsert, nor does its shipment; both replay', async () => {
    const { o, shipment, order, shipmentEvents } = await shortOrderDelivered(2);
    expect(order[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('orderWorkflowV2');
    expect(shipmentEvents[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('shipmentWorkflowV2');
    for (const events of [order, shipmentEvents]) {
      expect(patchesAroundFirstActivity(events)).toEqual({ before: [], after: [] });
      expect(eventCounts(events)).toMatchObject({ patchMarkers: 0, searchAttributeUpserts: 0 });
    }
    // The shortage was negotiated, the window's default taken (without the patch it would have been cancelled).
    expect((await o.state()).lines[0]).toMatchObject({ delivered: 1, refunded: 1 });
    for (const [workflowId, handle] of [
      [o.id, o.handle],
      [shipment.workflowId, shipment],
    ] as const)
      await expect(replays(workflowId, await handle.fetchHistory())).resolves.toBeUndefined();
  });

  it('a version 3 order on the same path follows its parcel itself: no shipment workflow, no patch marker, no upsert; it replays', async () => {
    const { o, shipment, order } = await shortOrderDelivered(3);
    expect(order[0].workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('orderWorkflowV3');
    await expect(shipment.describe()).rejects.toThrow();
    expect(patchesAroundFirstActivity(order)).toEqual({ before: [], after: [] });
    expect(eventCounts(order)).toMatchObject({ patchMarkers: 0, searchAttributeUpserts: 0, childrenStarted: 0 });
    expect((await o.state()).lines[0]).toMatchObject({ delivered: 1, refunded: 1 });
    // RECORD_FIXTURES=1: kept for test/e2e/replay.test.ts (test/fixtures/v3/).
    recordHistory(o.handle.workflowId, 'order-shortage-partial-delivered');
    await expect(replays(o.id, await o.handle.fetchHistory())).resolves.toBeUndefined();
  });
});
