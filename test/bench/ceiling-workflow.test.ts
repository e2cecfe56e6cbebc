// The ceiling's null interpreter (bench/ceiling/workflow.ts) on the run's dev server, as the fast
// workflow tests use it (test/helpers/flows.ts): a worker on a task queue of its own with the
// ceiling's own bundle and no-op activities, driven by the ceiling's driver (bench/ceiling/driver.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { NullDriver } from '../../bench/ceiling/driver';
import { recordLifecycleHistories } from '../../bench/ceiling/record';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { eventCounts, extractShape, lifecycleShape, readHistory, type EventCounts } from '../../bench/ceiling/shape';
import type { LifecycleShape, Progress, WorkflowShape } from '../../bench/ceiling/shape-types';
import { nullActivities } from '../../bench/ceiling/worker';
import { fixture } from '../helpers/fixtures';
import { installQuietRuntime } from '../helpers/quiet-runtime';

installQuietRuntime();

/** A parent with a local activity, an activity, a timer raced by an update, and a child fed a signal. */
const TINY: LifecycleShape = {
  source: {},
  root: 'parent',
  workflows: {
    parent: {
      name: 'parent',
      external: [{ kind: 'update', name: 'confirm' }],
      groups: [
        {
          after: {},
          commands: [
            { c: 'la', name: 'record' },
            { c: 'patch', id: 'tiny-patch' },
            { c: 'activity', name: 'pay' },
          ],
        },
        { after: { 'activity:pay': 1 }, commands: [{ c: 'child', shape: 'child' }] },
        { after: { childCompleted: 1, 'signal:progress': 1 }, commands: [{ c: 'timer', ms: 60_000 }] },
        {
          after: { 'update:confirm': 1 },
          commands: [
            { c: 'cancelTimer' },
            { c: 'la', name: 'record' },
            { c: 'completeUpdate', name: 'confirm' },
            { c: 'complete' },
          ],
        },
      ],
    },
    child: {
      name: 'child',
      external: [{ kind: 'signal', name: 'tracking' }],
      groups: [
        { after: { 'signal:tracking': 1 }, commands: [{ c: 'signalParent', name: 'progress' }] },
        { after: { signaled: 1 }, commands: [{ c: 'complete' }] },
      ],
    },
  },
};

const FIXTURES = ['order-card-authorized-completed', 'shipment-delivered'].map((n) => fixture(1, n));
/** The current shape (version 3, docs/decisions/100): the card order alone, its parcel heard by the order. */
const V3 = fixture(3, 'order-card-authorized-completed');

describe('ceiling interpreter', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `ceiling-${randomUUID()}`;
  const fixtureShape = lifecycleShape(FIXTURES);
  const v3Shape = lifecycleShape([V3]);

  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS unset: run through jest (test/setup/global-setup.ts)');
    env = await TestWorkflowEnvironment.createFromExistingServer({ address });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../bench/ceiling/workflows'),
      activities: {
        ...nullActivities(TINY),
        ...nullActivities(fixtureShape),
        ...nullActivities(v3Shape),
        ...nullActivities(
          lifecycleShape(
            ['order-patches-decided-at-start', 'shipment-patches-decided-at-start'].map((n) => fixture(1, n)),
          ),
        ),
      },
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  const drive = async (shape: LifecycleShape) => {
    const d = new NullDriver(shape, { address: process.env.TEST_TEMPORAL_ADDRESS!, taskQueue, pollMs: 20 });
    await d.connect();
    try {
      const run = d.launch();
      while (!run.completedAt && !run.failure) await new Promise((r) => setTimeout(r, 20));
      expect(run.failure).toBeUndefined();
      return d.lastWorkflowId!;
    } finally {
      await d.close();
    }
  };

  it('completes a tiny shape: the child fed its signal, the update answered, the timer cancelled', async () => {
    const id = await drive(TINY);
    const handle = env.client.workflow.getHandle(id);
    expect(await handle.result()).toBe('done');
    const counts = eventCounts((await handle.fetchHistory()).events ?? []);
    expect(counts).toMatchObject({
      localActivities: 2,
      patchMarkers: 1,
      activities: 1,
      childrenStarted: 1,
      timersStarted: 1,
      timersCancelled: 1,
      signalsReceived: 1,
      updates: 1,
    });
    const child = eventCounts((await env.client.workflow.getHandle(`${id}.child-1`).fetchHistory()).events ?? []);
    expect(child).toMatchObject({ signalsReceived: 1, signalsSent: 1 });
  });

  it('replays the card order and its shipment with the commands they recorded', async () => {
    const id = await drive(fixtureShape);
    const order = env.client.workflow.getHandle(id);
    const shipment = env.client.workflow.getHandle(`${id}.shipmentWorkflow-1`);
    await shipment.result();
    const same = (c: EventCounts) => {
      const { events: _e, workflowTasks: _w, ...commands } = c;
      return commands;
    };
    const orderCounts = eventCounts((await order.fetchHistory()).events ?? []);
    const shipmentCounts = eventCounts((await shipment.fetchHistory()).events ?? []);
    expect(same(orderCounts)).toEqual(same(eventCounts(readHistory(FIXTURES[0]))));
    expect(same(shipmentCounts)).toEqual(same(eventCounts(readHistory(FIXTURES[1]))));
    // Recorded as the engine's bench records its sitting's shape (bench/ceiling/record.ts): the same commands.
    const recorded = extractShape(JSON.parse(historyToJSON(await order.fetchHistory())).events);
    const flat = (w: WorkflowShape) =>
      w.groups.flatMap((g) => g.commands).map((c) => (c.c === 'child' ? { ...c, shape: 'a child' } : c)); // ceilingWorkflow here
    expect(flat(recorded)).toEqual(flat(fixtureShape.workflows.orderWorkflow));
    await order.terminate('test finished'); // it stays open in its after-sales window, as the order does
  });

  it('replays the version 3 card order, which hears its parcel itself, with the commands it recorded', async () => {
    const id = await drive(v3Shape);
    const order = env.client.workflow.getHandle(id);
    const { events: _e, workflowTasks: _w, ...commands } = eventCounts((await order.fetchHistory()).events ?? []);
    const { events: _re, workflowTasks: _rw, ...recorded } = eventCounts(readHistory(V3));
    expect(commands).toEqual(recorded);
    expect(commands).toMatchObject({ childrenStarted: 0, signalsReceived: 4 });
    await order.terminate('test finished'); // it stays open in its after-sales window, as the order does
  });

  it("records a lifecycle's histories as the engine's bench does for the ceiling, in the fixtures' format", async () => {
    // Two null workflows under the engine's ids, order-<id> and shipment-<id>-1.
    const orderId = `rec-${randomUUID()}`;
    const copy: WorkflowShape = {
      name: 'copy',
      external: [],
      groups: [{ after: {}, commands: [{ c: 'la', name: 'record' }, { c: 'complete' }] }],
    };
    for (const workflowId of [`order-${orderId}`, `shipment-${orderId}-1`])
      await env.client.workflow.start('ceilingWorkflow', { taskQueue, workflowId, args: [copy, {}] });
    await env.client.workflow.getHandle(`shipment-${orderId}-1`).result();
    await env.client.workflow.getHandle(`order-${orderId}`).result();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ceiling-record-'));
    const files = await recordLifecycleHistories(process.env.TEST_TEMPORAL_ADDRESS!, orderId, path.join(dir, 'run'));
    expect(files.map((f) => path.basename(f))).toEqual(['run.order.history.json', 'run.shipment.history.json']);
    const shape = lifecycleShape(files);
    expect(shape.workflows.ceilingWorkflow.groups.flatMap((g) => g.commands)).toEqual([
      { c: 'la', name: 'record' },
      { c: 'complete' },
    ]);
    expect(eventCounts(readHistory(files[1]))).toMatchObject({ localActivities: 1, activities: 0 });
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the shape of the newest version 1 order (every patch at start, a stock decision timer that fires)', async () => {
    const files = ['order-patches-decided-at-start', 'shipment-patches-decided-at-start'].map((n) => fixture(1, n));
    const shape = lifecycleShape(files, { timerCapMs: 100 });
    const id = await drive(shape);
    const order = env.client.workflow.getHandle(id);
    for (let i = 0; i < 200; i++) {
      const p = await order.query<Progress>('ceilingProgress');
      if (p.group >= shape.workflows.orderWorkflow.groups.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const counts = eventCounts((await order.fetchHistory()).events ?? []);
    const { events: _e, workflowTasks: _w, ...commands } = eventCounts(readHistory(files[0]));
    expect(counts).toMatchObject({ ...commands, patchMarkers: 8, timersFired: 1 });
    await order.terminate('test finished');
  });
});
