// Patches decided in the first workflow task (workflows/order/patches.ts, decidePatchesAtStart). A
// `patched()` that ran right after a local activity could land in a later workflow task than the
// activity's marker (a query or a worker kill in between); a replay then answered false and the order
// was stuck on a nondeterminism error (seen in `npm run chaos`: an order awaiting a stock decision,
// `order-negotiates-shortage`). New orders and shipments record every patch marker before their first
// activity, so none can follow one; their histories replay.
import { Worker } from '@temporalio/worker';
import { PATCH } from '../../workflows/order/patches';
import { patchesAroundFirstActivity, recordHistory } from '../helpers/fixtures';
import { useFlowEnv } from '../helpers/flows';

const env = useFlowEnv();

describe('patches decided at start', () => {
  it('a new order with a shortage, shipped and delivered: every patch marker precedes the first activity, and both histories replay', async () => {
    const o = await env.startOrder({
      lines: [{ quantity: 2 }],
      stock: [1],
      policy: { stockDecisionSeconds: 1, stockDecisionDefault: 'partial' },
    });
    await o.booked();
    await o.track(1, 'picked_up');
    await o.track(1, 'in_transit');
    await o.track(1, 'delivered', { signedBy: '张三' });
    await o.until((s) => s.status === 'delivered', 'delivered');

    const order = (await o.handle.fetchHistory()).events ?? [];
    const orderPatches = patchesAroundFirstActivity(order);
    expect(orderPatches.after).toEqual([]);
    expect([...orderPatches.before].sort()).toEqual([...Object.values(PATCH)].sort());

    const shipment = env.client.workflow.getHandle(`shipment-${o.id}-1`);
    const shipmentEvents = (await shipment.fetchHistory()).events ?? [];
    const shipmentPatches = patchesAroundFirstActivity(shipmentEvents);
    expect(shipmentPatches.after).toEqual([]);
    expect(shipmentPatches.before).toEqual(
      expect.arrayContaining(['shipment-patches-decided-at-start', 'shipment-reports-milestones-only']),
    );

    // RECORD_FIXTURES=1: kept for test/e2e/replay.test.ts, the first histories with the markers at start.
    recordHistory(o.handle.workflowId, 'order-patches-decided-at-start');
    recordHistory(shipment.workflowId, 'shipment-patches-decided-at-start');
    const codePath = process.env.TEST_WORKFLOW_BUNDLE!;
    for (const [workflowId, handle] of [
      [o.id, o.handle],
      [`shipment-${o.id}-1`, shipment],
    ] as const)
      await expect(
        Worker.runReplayHistory({ workflowBundle: { codePath } }, await handle.fetchHistory(), workflowId),
      ).resolves.toBeUndefined();
  });
});
