import { patched } from '@temporalio/workflow';
import {
  batchesSteps,
  callsProvidersLocallyFirst,
  LIFECYCLE_TYPES,
  type LifecycleTypes,
  type LifecycleVersion,
} from '../../contract';
import { batchDatabaseSteps, callProvidersLocallyFirst, databaseStepsWritten } from '../activities';

/**
 * Which version of the order lifecycle a run belongs to, known from the workflow type that started it
 * (contract/versions.ts, docs/decisions/092-a-redesign-is-a-new-workflow-type.md), and the one place a
 * run asks whether it takes a change made behind a patch.
 *
 * Version 1 (`orderWorkflow`, …) asks `patched()`, exactly as before, so its recorded histories replay.
 * Version 2 (`orderWorkflowV2`, …) took every patch of version 1 when it was created: it answers true
 * for those without a command, so it records no patch marker and no `TemporalChangeVersion` upsert. A
 * change made to version 2 later goes behind a patch of its own, not in that list, and asks `patched()`.
 * Version 3 (`orderWorkflowV3`, …: the lean shape, docs/decisions/100) took the same patches, and so did
 * version 4 (`orderWorkflowV4`, …), which batches its database steps (docs/decisions/107), and version 5
 * (`orderWorkflowV5`, …), which also tries its main path's provider calls once as a local activity
 * first (docs/decisions/110).
 */
export class Lifecycle {
  private constructor(
    readonly version: LifecycleVersion,
    private readonly taken: ReadonlySet<string>,
  ) {}

  /** Version 1: every patch asked of `patched()`. */
  static v1(): Lifecycle {
    return new Lifecycle(1, new Set());
  }

  /** Version 2: `taken` are the patches it took from its start (every patch of version 1). */
  static v2(taken: readonly string[]): Lifecycle {
    return Lifecycle.taking(2, taken);
  }

  /** A version after 1: `taken` are the patches it took from its start, answered true without a command. */
  static taking(version: Exclude<LifecycleVersion, 1>, taken: readonly string[]): Lifecycle {
    return new Lifecycle(version, new Set(taken));
  }

  /** The workflow types of this version: a run starts its children of its own version. */
  get types(): LifecycleTypes {
    return LIFECYCLE_TYPES[this.version];
  }

  /**
   * Runs one workflow of this version: from version 4 on, its database steps are batched, and it
   * returns once the last of them is written; from version 5 on, its main path's provider calls are
   * tried locally first.
   */
  async runWorkflow<T>(body: () => Promise<T>): Promise<T> {
    if (!batchesSteps(this.version)) return body();
    batchDatabaseSteps();
    if (callsProvidersLocallyFirst(this.version)) callProvidersLocallyFirst();
    const result = await body();
    await databaseStepsWritten();
    return result;
  }

  /** Whether this run takes the change behind `patchId`. */
  takes(patchId: string): boolean {
    return this.taken.has(patchId) || patched(patchId);
  }

  /**
   * Decides `ids` in the run's first workflow task, before any activity, if the run takes `gate`
   * (a `patched()` right after a local activity can land in a later workflow task and not replay:
   * docs/testing.md, "Known issues"). Version 1 records its markers here; version 2 has taken them all.
   */
  decideAtStart(gate: string, ids: readonly string[]): void {
    if (!this.takes(gate)) return;
    for (const id of ids) this.takes(id);
  }
}
