import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FAILURE } from '../contract';
import { StepQueue } from './shared/steps';

/**
 * Short database steps run as local activities (one history marker each, no extra round trip);
 * provider calls run as regular activities, retried with backoff under their business idempotency key.
 */
const localActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * This run's queue of database steps, once it batches them (lifecycle version 4 on). Module state is
 * the run's own: the SDK gives each workflow run its own module instances.
 */
let queue: StepQueue | undefined;

/**
 * The database steps: one local activity each, or, for a run that batches them, queued and written
 * together at its next wait (docs/decisions/107).
 */
export const db: typeof localActivities = new Proxy(localActivities, {
  get: (target, name, receiver) =>
    queue && typeof name === 'string'
      ? (...args: unknown[]) => queue!.take(name, args)
      : (Reflect.get(target, name, receiver) as unknown),
});

/** Makes this run batch its database steps; called first thing by a run of lifecycle version 4 on. */
export function batchDatabaseSteps(): void {
  queue = new StepQueue((batch) => localActivities.runSteps(batch));
}

/** Settles once every database step the run queued is written (at once when it does not batch). */
export async function databaseStepsWritten(): Promise<void> {
  await queue?.written();
}

export const providers = proxyActivities<Activities>({
  // Long enough for a slow provider; short enough that a call lost with a crashed worker is retried soon.
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [FAILURE.paymentDeclined],
  },
});

/** One courier's booking, given up after a few attempts so the shipment can fall back to another courier. */
export const bookingAttempts = proxyActivities<Activities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3 },
});
