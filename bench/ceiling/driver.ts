/**
 * The ceiling's load: null lifecycles started through the Temporal client, each given the signals and
 * updates its shape waited for from outside (the courier's tracking events, the receipt confirmation)
 * in the recorded order; the lifecycle ends when the last of them is answered.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Client,
  Connection,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { LifecycleShape, WorkflowShape } from './shape-types';
import { sleep } from '../util';

export interface NullRun {
  /** The root workflow's id. */
  id?: string;
  startedAt: number;
  completedAt?: number;
  failure?: string;
  /** Inputs sent again: to a child not started yet, or an update refused as too early. */
  retries: number;
}

export interface DriverOptions {
  address: string;
  taskQueue: string;
  pollMs: number;
}

/** Children a shape starts, with the ids the interpreter gives them (workflow.ts, childWorkflowId). */
export function childrenOf(
  shape: LifecycleShape,
  w: WorkflowShape,
  id: string,
): Array<{ id: string; w: WorkflowShape }> {
  const out: Array<{ id: string; w: WorkflowShape }> = [];
  const n: Record<string, number> = {};
  for (const g of w.groups)
    for (const c of g.commands)
      if (c.c === 'child') {
        n[c.shape] = (n[c.shape] ?? 0) + 1;
        const childId = `${id}.${c.shape}-${n[c.shape]}`;
        out.push({ id: childId, w: shape.workflows[c.shape] }, ...childrenOf(shape, shape.workflows[c.shape], childId));
      }
  return out;
}

export class NullDriver {
  readonly runs: NullRun[] = [];
  inFlight = 0;
  skipped = 0;
  stopped = false;
  /** The root workflow id of the latest lifecycle started. */
  lastWorkflowId?: string;
  private client!: Client;
  private connection?: Connection;
  private readonly children: Record<string, WorkflowShape>;

  constructor(
    private readonly shape: LifecycleShape,
    private readonly o: DriverOptions,
  ) {
    this.children = Object.fromEntries(Object.entries(shape.workflows).filter(([k]) => k !== shape.root));
  }

  async connect() {
    this.connection = await Connection.connect({ address: this.o.address });
    this.client = new Client({ connection: this.connection, namespace: 'default' });
  }

  async close() {
    this.stopped = true;
    await this.connection?.close();
  }

  launch(): NullRun {
    const run: NullRun = { startedAt: performance.now(), retries: 0 };
    this.runs.push(run);
    this.inFlight += 1;
    this.lifecycle(run)
      .then(() => (run.completedAt = performance.now()))
      .catch((err: Error) => (run.failure = err.message))
      .finally(() => (this.inFlight -= 1));
    return run;
  }

  private async lifecycle(run: NullRun) {
    const root = this.shape.workflows[this.shape.root];
    const id = (this.lastWorkflowId = run.id = `null-${randomUUID()}`);
    await this.client.workflow.start('ceilingWorkflow', {
      taskQueue: this.o.taskQueue,
      workflowId: id,
      args: [root, this.children],
    });
    // As the engine's bench: the courier's events first (children), the confirmation once delivered (root).
    const children = childrenOf(this.shape, root, id).map((c) => ({
      ...c,
      handle: this.client.workflow.getHandle(c.id),
    }));
    await Promise.all(children.map((c) => this.feed(run, c.handle, c.w)));
    const completes = (w: WorkflowShape) => w.groups.some((g) => g.commands.some((c) => c.c === 'complete'));
    await Promise.all(children.filter((c) => completes(c.w)).map((c) => c.handle.result()));
    await this.feed(run, this.client.workflow.getHandle(id), root);
  }

  /**
   * Sends a workflow its external inputs in the recorded order. A child not started yet answers
   * not-found, an update the workflow does not wait for yet is refused: both retried after pollMs,
   * backing off ×1.5 up to 1 s (counted). The first input waits pollMs too. A signal that comes early is kept until the workflow waits
   * for it (workflow.ts), so no query is needed.
   */
  private async feed(run: NullRun, handle: WorkflowHandle, w: WorkflowShape) {
    let backoff = this.o.pollMs;
    // The engine's bench learns the workflow waits from an event the outbox sends (a dispatcher pass of
    // 250 ms when idle): the first input comes no sooner here, so few are too early.
    if (w.external.length) await sleep(this.o.pollMs);
    for (const input of w.external)
      for (;;) {
        if (this.stopped) throw new Error('stopped');
        try {
          if (input.kind === 'signal') await handle.signal(input.name);
          else await handle.executeUpdate(input.name);
          break;
        } catch (err) {
          // not started yet, or (an update) refused because the workflow does not wait for it yet
          if (!(err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError)) throw err;
          run.retries += 1;
          await sleep(backoff);
          backoff = Math.min(1000, backoff * 1.5);
        }
      }
  }
}

/** Open-loop arrivals at `rate` for `seconds`, at most `cap` in flight (beyond it, skipped and counted). */
export async function openLoop(d: NullDriver, rate: number, seconds: number, cap: number, log: (m: string) => void) {
  const start = performance.now();
  let launched = 0;
  let nextProgress = 5000;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= seconds * 1000 || d.stopped) break;
    const due = Math.min(Math.floor((elapsed / 1000) * rate) + 1, Math.ceil(seconds * rate));
    for (; launched < due; launched++)
      if (d.inFlight >= cap) d.skipped += 1;
      else d.launch();
    if (elapsed >= nextProgress) {
      nextProgress += 5000;
      const done = d.runs.filter((r) => r.completedAt).length;
      log(`t=${Math.round(elapsed / 1000)}s started ${d.runs.length} completed ${done} in flight ${d.inFlight}`);
    }
    await sleep(Math.max(1, Math.min(20, 1000 / rate / 2)));
  }
}
