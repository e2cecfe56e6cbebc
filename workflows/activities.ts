import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  proxyActivities,
  proxyLocalActivities,
  TemporalFailure,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FAILURE } from '../contract';
import { StepQueue } from './shared/steps';

/**
 * Short database steps run as local activities (one history marker each, no extra round trip).
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
export const db = rerouted(localActivities, (name) => (queue ? (args) => queue!.take(name, args) : undefined));

/**
 * `target`'s activity calls, each taken over by what `route` answers for its name, while it answers
 * one (the run's choice, made when it starts); the others as `target` makes them.
 */
function rerouted<T extends object>(
  target: T,
  route: (name: string) => ((args: unknown[]) => Promise<unknown>) | undefined,
): T {
  return new Proxy(target, {
    get: (proxied, name, receiver) => {
      const call = typeof name === 'string' ? route(name) : undefined;
      return call ? (...args: unknown[]) => call(args) : (Reflect.get(proxied, name, receiver) as unknown);
    },
  });
}

/** Makes this run batch its database steps; called first thing by a run of lifecycle version 4 on. */
export function batchDatabaseSteps(): void {
  queue = new StepQueue((batch) => localActivities.runSteps(batch));
}

/** Settles once every database step the run queued is written (at once when it does not batch). */
export async function databaseStepsWritten(): Promise<void> {
  await queue?.written();
}

/**
 * Provider calls (payment gateways, couriers): regular activities, retried with backoff under their
 * business idempotency key, each attempt visible to support while it fails (pending activities: stuck
 * orders, "retry now").
 */
const PROVIDER_CALL: ActivityOptions = {
  // Long enough for a slow provider; short enough that a call lost with a crashed worker is retried soon.
  startToCloseTimeout: '10s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [FAILURE.paymentDeclined],
  },
};

/** One courier's booking, given up after a few attempts so the shipment can fall back to another courier. */
const BOOKING_ATTEMPT: ActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumAttempts: 3 },
};

/**
 * The provider calls of an order's main path, tried once as a local activity first from version 5 on.
 * A local activity holds its workflow task open, so an update sent meanwhile (support's cancellation)
 * waits for the call; calls made while people act on the order (refunds, recalls, closing a wallet
 * payment) stay regular activities, which let it be answered at once.
 */
const LOCAL_FIRST: ReadonlySet<string> = new Set<keyof Activities>([
  'authorizeCard',
  'chargeCard',
  'captureCard',
  'createWalletPayment',
  'bookShipment',
]);

/** Whether this run tries its main path's provider calls once as a local activity first (lifecycle version 5 on). */
let localFirst = false;

/** Makes this run try its main path's provider calls once as a local activity first (docs/decisions/110). */
export function callProvidersLocallyFirst(): void {
  localFirst = true;
}

export const providers = providerCalls(PROVIDER_CALL);
export const bookingAttempts = providerCalls(BOOKING_ATTEMPT);

/**
 * The provider calls under one policy. A run of version 5 on makes the first attempt of each call of
 * its main path a local activity, once the database steps queued before it are written (a regular
 * activity too starts only after them): no activity task, no extra workflow task. Only if that attempt
 * fails and may be retried does the call go on as a regular activity with the attempts left, visible
 * and retryable by support.
 */
function providerCalls(options: ActivityOptions) {
  const calls = proxyActivities<Activities>(options);
  const firstAttempt = proxyLocalActivities<Activities>({
    startToCloseTimeout: options.startToCloseTimeout,
    retry: { maximumAttempts: 1 },
  });
  const attempts = options.retry?.maximumAttempts;
  const laterAttempts = proxyActivities<Activities>({
    ...options,
    retry: { ...options.retry, maximumAttempts: attempts ? attempts - 1 : undefined },
  });
  const call = async (name: keyof Activities, args: unknown[]) => {
    const run = <T>(proxy: T) => (proxy[name as keyof T] as (...a: unknown[]) => Promise<unknown>)(...args);
    await databaseStepsWritten();
    try {
      return await run(firstAttempt);
    } catch (err) {
      // A local activity fails with its cause itself; callers expect a regular activity's ActivityFailure.
      const again = retryable(err, options) && attempts !== 1;
      if (!again) throw err instanceof CancelledFailure ? err : asActivityFailure(name, err);
      return run(laterAttempts);
    }
  };
  return rerouted(calls, (name) =>
    localFirst && LOCAL_FIRST.has(name) ? (args) => call(name as keyof Activities, args) : undefined,
  );
}

/** Whether a failed attempt may be tried again under `options` (not a decline, not cancelled). */
function retryable(thrown: unknown, options: ActivityOptions): boolean {
  const err = thrown instanceof ActivityFailure ? thrown.cause : thrown;
  if (err instanceof CancelledFailure) return false;
  if (!(err instanceof ApplicationFailure)) return err instanceof TemporalFailure; // a timeout
  return !err.nonRetryable && !(options.retry?.nonRetryableErrorTypes ?? []).includes(err.type ?? '');
}

const asActivityFailure = (name: string, err: unknown): unknown =>
  err instanceof TemporalFailure && !(err instanceof ActivityFailure)
    ? new ActivityFailure(err.message, name, undefined, 'NON_RETRYABLE_FAILURE', undefined, err)
    : err;
