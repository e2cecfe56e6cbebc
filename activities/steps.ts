import { ApplicationFailure } from '@temporalio/common';

/** One database step of a batch: the activity's name and its arguments. */
export interface DatabaseStep {
  name: string;
  args: unknown[];
}

/**
 * Where a batch stopped on a step that must not be retried, appended to that step's own failure
 * details: the steps before it were written and answered `results`; the ones after it were not run.
 */
export interface BatchStop {
  failedAt: number;
  results: unknown[];
}

/** Any activity: each takes its own arguments, which a batch carries as they were given. */
export type Step = (...args: never[]) => Promise<unknown>;

/**
 * The one local activity a run of lifecycle version 4 takes for the database steps it queued between
 * two waits (docs/decisions/107): each step in turn, as its own activity would have run, answering
 * their results in order. A retryable error retries the whole batch: every database step is already
 * idempotent, since a local activity runs at least once. A non-retryable one stops the batch with that
 * step's failure and a `BatchStop`, so the workflow fails that step alone and queues the rest again.
 */
export function stepRunner(steps: Record<string, Step>) {
  return async function runSteps(batch: DatabaseStep[]): Promise<unknown[]> {
    const results: unknown[] = [];
    for (const [i, { name, args }] of batch.entries()) {
      const step = steps[name];
      if (!step) throw ApplicationFailure.nonRetryable(`no database step named ${name}`, 'UnknownStep');
      try {
        results.push(await (step as (...given: unknown[]) => Promise<unknown>)(...args));
      } catch (err) {
        if (!(err instanceof ApplicationFailure) || !err.nonRetryable) throw err;
        const stop: BatchStop = { failedAt: i, results };
        throw ApplicationFailure.create({
          type: err.type ?? undefined,
          message: err.message,
          nonRetryable: true,
          details: [...(err.details ?? []), stop],
        });
      }
    }
    return results;
  };
}
