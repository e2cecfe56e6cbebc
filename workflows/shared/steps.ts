import { ActivityFailure, ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import type { Activities, BatchStop, DatabaseStep } from '../../activities';

type VoidStep = {
  [K in keyof Activities]: Activities[K] extends (...args: never[]) => Promise<void> ? K : never;
}[keyof Activities];

/**
 * Database steps whose answer no workflow reads: the read models, tracking, notices. They are queued
 * and the run goes on at once; they are written, in order, with the next batch.
 */
const WRITES: ReadonlySet<string> = new Set<VoidStep>([
  'recordSubmission',
  'projectOrder',
  'projectAfterSales',
  'recordTracking',
  'notify',
]);

interface Queued {
  step: DatabaseStep;
  /** How a step whose answer the run awaits is settled; none for a write. */
  answer?: { resolve(value: unknown): void; reject(err: unknown): void };
}

/**
 * A run's database steps, batched (lifecycle version 4, docs/decisions/107). Every step goes into one
 * queue, in the order the run takes them; a write is answered at once, a step with an answer when its
 * batch is done. The queue's writer wakes only once every coroutine of the run is waiting (Temporal
 * checks conditions after the activation's microtasks), so one local activity carries every step taken
 * since the last wait, in the same workflow task as today's one-per-step activities: whatever a wait
 * lets out (an update's answer, an activity, a timer) reaches the server only with that task, after the
 * batch was written.
 */
export class StepQueue {
  private readonly queued: Queued[] = [];
  private writing = false;

  constructor(private readonly runSteps: (batch: DatabaseStep[]) => Promise<unknown[]>) {
    void this.writeForever();
  }

  /**
   * Queues a step: a write resolves at once, any other step with its answer. Its arguments are taken
   * as they are now, as a local activity's are when it is called: the run goes on changing its state.
   */
  take(name: string, args: unknown[]): Promise<unknown> {
    const step = { name, args: JSON.parse(JSON.stringify(args)) as unknown[] };
    if (WRITES.has(name)) {
      this.queued.push({ step });
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.queued.push({ step, answer: { resolve, reject } }));
  }

  /** Settles once every queued step is written: a run awaits it before it returns. */
  written(): Promise<void> {
    return condition(() => this.queued.length === 0 && !this.writing);
  }

  private async writeForever(): Promise<never> {
    for (;;) {
      await condition(() => this.queued.length > 0);
      const batch = this.queued.splice(0);
      this.writing = true;
      try {
        const results = await CancellationScope.nonCancellable(() => this.runSteps(batch.map((q) => q.step)));
        batch.forEach((q, i) => q.answer?.resolve(results[i]));
      } catch (err) {
        this.queued.unshift(...this.stopped(batch, err));
      } finally {
        this.writing = false;
      }
    }
  }

  /**
   * A batch stopped on a step that must not be retried: the steps before it are answered, the step
   * fails as it would have alone, and the steps after it are handed back to be queued again. A write
   * has no one to fail to: its failure fails the workflow task, as an error in workflow code does.
   */
  private stopped(batch: Queued[], err: unknown): Queued[] {
    const stop = stopOf(err);
    if (!stop) throw err;
    batch.slice(0, stop.failedAt).forEach((q, i) => q.answer?.resolve(stop.results[i]));
    const failed = batch[stop.failedAt];
    if (!failed.answer) throw err;
    failed.answer.reject(err);
    return batch.slice(stop.failedAt + 1);
  }
}

/** The stop a failed batch reports (a local activity fails with its ApplicationFailure itself). */
function stopOf(err: unknown): BatchStop | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (!(failure instanceof ApplicationFailure)) return undefined;
  const last = failure.details?.at(-1) as Partial<BatchStop> | undefined;
  return typeof last?.failedAt === 'number' ? (last as BatchStop) : undefined;
}
