/**
 * A lifecycle's shape (issue 16, item 1): what one workflow's history did, as data the null
 * interpreter (bench/ceiling/workflow.ts) replays. No imports, so the worker's workflow bundle stays
 * small; extraction from a recorded history is bench/ceiling/shape.ts.
 */

/** One command the workflow issued, in history order. */
export type Command =
  | { c: 'la'; name: string } // a local activity, awaited (its marker)
  | { c: 'activity'; name: string } // an activity scheduled; its completion is an input
  | { c: 'patch'; id: string } // patched(id): a marker and a TemporalChangeVersion upsert
  | { c: 'timer'; ms: number } // a timer started; its firing is an input
  | { c: 'cancelTimer' } // the oldest pending timer cancelled
  | { c: 'child'; shape: string } // a child started (started and completed are inputs)
  | { c: 'signalParent'; name: string } // a signal to the parent workflow
  | { c: 'completeUpdate'; name: string } // the oldest open update of that name answered
  | { c: 'complete' }; // the workflow completes

/**
 * Inputs counted since the workflow started, by key: `activity:<name>`, `childStarted`,
 * `childCompleted`, `signal:<name>`, `update:<name>`, `timer`.
 */
export type Inputs = Record<string, number>;

/** The commands of one workflow task, issued once the inputs seen reach `after`. */
export interface Group {
  after: Inputs;
  commands: Command[];
}

export interface WorkflowShape {
  name: string;
  groups: Group[];
  /** Signals and updates that come from outside (the driver), in the order the history received them. */
  external: Array<{ kind: 'signal' | 'update'; name: string }>;
}

export interface LifecycleShape {
  /** The source histories, for the report. */
  source: Record<string, string>;
  root: string;
  workflows: Record<string, WorkflowShape>;
}

/** What the interpreter's `ceilingProgress` query answers (to see where a stuck null lifecycle waits). */
export interface Progress {
  group: number;
  after: Inputs;
  seen: Inputs;
}
