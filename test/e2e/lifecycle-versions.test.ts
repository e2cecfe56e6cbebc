// The order lifecycle's versions (docs/decisions/092, contract/versions.ts) on the real stack: a new
// order is a version 5 order that follows its parcel itself (docs/decisions/100), batches its
// database steps (docs/decisions/107) and calls its providers as local activities first
// (docs/decisions/110): no shipment child, no patch marker, no `TemporalChangeVersion` search-attribute
// upsert, no activity task, one local activity per batch; the worker still registers versions 1 to 4;
// an operator counts each version's open runs by a visibility query (npm run workflow-versions).
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import { eventCounts, localActivityNames } from '../../bench/ceiling/shape';
import {
  batchesSteps,
  callsProvidersLocallyFirst,
  CURRENT_LIFECYCLE,
  holdsParcels,
  LIFECYCLE_TYPES,
  LIFECYCLE_VERSIONS,
  ORDER_WORKFLOW,
  openRunsQuery,
  workflowTypesOf,
} from '../../contract';
import { openRunsByVersion } from '../../scripts/workflow-versions';
import * as workflows from '../../workflows';
import { AFTER_SALES_LIFECYCLE, PATCH as AFTER_SALES_PATCH } from '../../workflows/after-sales/patches';
import { PARCEL_PATCHES } from '../../workflows/shared/parcel';
import { ORDER_LIFECYCLE, PATCH as ORDER_PATCH } from '../../workflows/order/patches';
import { eventually, send } from '../api/api-helpers';
import { settledHistory } from '../helpers/flows';
import { deliverAll, KEYS, orderBody, submitOrder, useStack, waitForStatus } from '../helpers/stack';

const stack = useStack();
type Event = temporal.api.history.v1.IHistoryEvent;

const typeOf = (events: Event[]) => events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

test('new orders start the current version; the worker registers every version', () => {
  expect(CURRENT_LIFECYCLE).toBe(5);
  expect(ORDER_WORKFLOW).toBe('orderWorkflowV5');
  expect(workflowTypesOf('order')).toEqual([
    'orderWorkflow',
    'orderWorkflowV2',
    'orderWorkflowV3',
    'orderWorkflowV4',
    'orderWorkflowV5',
  ]);
  expect(LIFECYCLE_VERSIONS.map(holdsParcels)).toEqual([false, false, true, true, true]);
  expect(LIFECYCLE_VERSIONS.map(batchesSteps)).toEqual([false, false, false, true, true]);
  expect(LIFECYCLE_VERSIONS.map(callsProvidersLocallyFirst)).toEqual([false, false, false, false, true]);
  for (const version of LIFECYCLE_VERSIONS)
    for (const type of Object.values(LIFECYCLE_TYPES[version]))
      expect(typeof (workflows as Record<string, unknown>)[type]).toBe('function');
  expect(openRunsQuery(['orderWorkflow'])).toBe(`WorkflowType IN ('orderWorkflow') AND ExecutionStatus = 'Running'`);
});

test('version 2 took exactly the patches version 1 had when it was made: a later patch is not taken without a marker', () => {
  // A new entry in these lists would be taken, silently, by version 2 runs started before it, which
  // then replay another path: a change to version 2 gets a patch of its own outside them (decision 092).
  const order = [
    'order-negotiates-shortage',
    'order-notifies-merchant',
    'order-flags-merchant-sla',
    'order-card-authorizes',
    'order-announces-shipment-refunds',
    'order-after-sales-window',
    'order-handlers-post-to-mailbox',
    'order-reports-points-taken',
    'order-patches-decided-at-start',
  ];
  const afterSales = ['after-sales-negotiates-shortage', 'after-sales-patches-decided-at-start'];
  expect(Object.values(ORDER_PATCH)).toEqual(order);
  expect(Object.values(AFTER_SALES_PATCH)).toEqual(afterSales);
  // Answered without patched() (which would throw here, outside a workflow).
  expect(order.map((id) => ORDER_LIFECYCLE[2].takes(id))).toEqual(order.map(() => true));
  expect(afterSales.map((id) => AFTER_SALES_LIFECYCLE[2].takes(id))).toEqual(afterSales.map(() => true));
  // Versions 3 to 5 took the same, and the order, which follows its parcels, the parcel's too (workflows/shared/parcel.ts).
  const parcel = [
    'shipment-reports-milestones-only',
    'shipment-courier-fallback',
    'shipment-returns-after-failed-attempts',
    'shipment-patches-decided-at-start',
  ];
  expect(PARCEL_PATCHES).toEqual(parcel);
  for (const version of [3, 4, 5] as const) {
    expect([...order, ...parcel].map((id) => ORDER_LIFECYCLE[version].takes(id))).toEqual(
      [...order, ...parcel].map(() => true),
    );
    expect(afterSales.map((id) => AFTER_SALES_LIFECYCLE[version].takes(id))).toEqual(afterSales.map(() => true));
  }
  expect(() => ORDER_LIFECYCLE[1].takes(order[0])).toThrow();
});

test('a card order to completed is one workflow, the order: no shipment child, no patch marker, no search-attribute upsert, no activity task', async () => {
  const { app } = stack;
  const submitted = await submitOrder(app, orderBody({ lines: [{ sku: 'SKU-TEA-001', quantity: 2 }] }), randomUUID());
  expect(submitted.res.statusCode).toBe(201);
  const id: string = submitted.body.id;
  await waitForStatus(app, id, 'fulfilling');
  await deliverAll(app, id);
  expect((await send(app, 'POST', `/v1/orders/${id}/confirm-receipt`, KEYS.platform)).statusCode).toBe(200);
  await waitForStatus(app, id, 'completed');

  const order = await settledHistory(stack.client.workflow.getHandle(`order-${id}`));
  expect(typeOf(order)).toBe('orderWorkflowV5');
  // The parcel is followed inside the order: no shipment workflow exists (docs/decisions/100).
  await expect(stack.client.workflow.getHandle(`shipment-${id}-1`).describe()).rejects.toThrow();
  const counts = eventCounts(order);
  // Figures for docs/decisions/100 and issue 16. Version 2 on the same path: order 60 events and 9
  // workflow tasks + shipment 40 and 7 = 100 events, 16 tasks (test/fixtures/v2/order-card-authorized-completed,
  // shipment-delivered); version 1: 126 events.
  process.stderr.write(`[lifecycle-versions] ${JSON.stringify({ order: counts })}\n`);
  expect(order.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toEqual([]);
  expect(order.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)).toEqual([]);
  expect(counts).toMatchObject({
    patchMarkers: 0,
    searchAttributeUpserts: 0,
    childrenStarted: 0,
    signalsSent: 0,
    // Of the courier's four events, the order hears picked_up and delivered; the in-transit and
    // out-for-delivery scans are recorded by the webhook alone (docs/decisions/108, 119).
    signalsReceived: 2,
    // The card's authorization and capture and the courier's booking are local activities (docs/decisions/110).
    activities: 0,
  });
  // Its database steps are batched (docs/decisions/107): every other local activity is a `runSteps`,
  // fewer than version 3's 19 on this path (test/fixtures/v3/order-card-authorized-completed).
  const providerCalls = ['authorizeCard', 'bookShipment', 'captureCard'];
  const steps = localActivityNames(order).filter((n) => !providerCalls.includes(n));
  expect(steps).toEqual(steps.map(() => 'runSteps'));
  expect(steps.length).toBeLessThan(12);
  expect(localActivityNames(order).filter((n) => providerCalls.includes(n))).toEqual(providerCalls);
  // A whole lifecycle in fewer events and workflow tasks than version 2's order and shipment together
  // (the exact figures vary with how the events land in tasks: see the fixture for one recording).
  expect(counts.events).toBeLessThan(100);
  expect(counts.workflowTasks).toBeLessThan(16);
  // The same path's history is recorded for replay by test/e2e/card-lifecycle.test.ts (test/fixtures/v5/).

  // The order stays open in its after-sales window: an operator's count of version 5 runs sees it,
  // and every version is counted (npm run workflow-versions).
  const runs = await eventually(
    () => openRunsByVersion(stack.client),
    (r) => (r.find((v) => v.version === 5)?.open.orderWorkflowV5 ?? 0) >= 1,
    'the open version 5 order counted',
  );
  expect(runs.map((r) => [r.version, r.current, Object.keys(r.open)])).toEqual([
    [1, false, ['orderWorkflow', 'shipmentWorkflow', 'afterSalesWorkflow']],
    [2, false, ['orderWorkflowV2', 'shipmentWorkflowV2', 'afterSalesWorkflowV2']],
    [3, false, ['orderWorkflowV3', 'shipmentWorkflowV3', 'afterSalesWorkflowV3']],
    [4, false, ['orderWorkflowV4', 'shipmentWorkflowV4', 'afterSalesWorkflowV4']],
    [5, true, ['orderWorkflowV5', 'shipmentWorkflowV5', 'afterSalesWorkflowV5']],
  ]);
}, 90_000);
