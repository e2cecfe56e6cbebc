// A stopping worker (SIGTERM, workers/main.ts) drains: /readyz turns 503 at once, polling stops, and a
// provider call already running finishes and its result is recorded before the worker stops.
import { Context } from '@temporalio/activity';
import { NativeConnection } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { localActivityNames } from '../../bench/ceiling/shape';
import { orderWorkflowId } from '../../contract';
import { startMetricsServer } from '../../workers/metrics';
import { createWorker, startPolling } from '../../workers/worker';
import { submitOrder, useStack } from '../helpers/stack';

const stack = useStack({ worker: false });

/**
 * The card simulator's next authorization waits at a gate until released, then notes whether the
 * worker had asked its activity to cancel meanwhile (what a stop without grace time does at once).
 */
function gateCardAuthorization() {
  const card = stack.providers.card;
  const authorize = card.authorize.bind(card);
  let arrived!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  const open = new Promise<void>((r) => (release = r));
  const seen = { cancelRequested: undefined as boolean | undefined };
  card.authorize = async (req) => {
    card.authorize = authorize;
    arrived();
    await open;
    seen.cancelRequested = Context.current().cancellationSignal.aborted;
    return authorize(req);
  };
  return { reached, release, seen };
}

test('SIGTERM drains: not ready at once, the provider call in flight completes, then the worker stops', async () => {
  const connection = await NativeConnection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const worker = await createWorker({
    connection,
    taskQueue: stack.taskQueue,
    db: stack.db,
    providers: stack.providers,
    payloadKeys: stack.config.payloadKeys,
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
    shutdownGraceMs: 20_000,
  });
  const polling = startPolling(worker);
  const probe = await startMetricsServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: polling.ready,
  });
  const readyz = () => fetch(probe.url.replace('/metrics', '/readyz')).then((r) => r.status);
  try {
    expect(await readyz()).toBe(200);
    const gate = gateCardAuthorization();
    const { body } = await submitOrder(stack.app);
    await gate.reached;

    const drained = polling.drain();
    expect(await readyz()).toBe(503);
    expect(['DRAINING', 'DRAINED']).toContain(worker.getState());

    gate.release();
    await drained;
    expect(worker.getState()).toBe('STOPPED');
    expect(gate.seen.cancelRequested).toBe(false);
    // The authorization ran to its end and its result reached the workflow's history, not cancelled:
    // a version 5 order calls it as a local activity first (docs/decisions/110), so its workflow task
    // completed with it before the worker stopped.
    const payment = await stack.db.payment.findFirstOrThrow({ where: { orderId: body.id } });
    expect(payment.status).toBe('authorized');
    const history = await stack.client.workflow.getHandle(orderWorkflowId(body.id)).fetchHistory();
    const events = history.events ?? [];
    expect(localActivityNames(events)).toContain('authorizeCard');
    expect(events.filter((e) => e.markerRecordedEventAttributes?.failure)).toEqual([]);
    expect(events.some((e) => e.activityTaskScheduledEventAttributes)).toBe(false);
    expect(events.some((e) => e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes)).toBe(
      false,
    );
  } finally {
    if (worker.getState() === 'RUNNING') await polling.drain();
    await probe.close();
    await connection.close();
  }
});
