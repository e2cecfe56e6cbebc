/**
 * The null lifecycle's one workflow: it replays a recorded workflow's commands (shape-types.ts) —
 * the same local activities, activities, patches, timers, child, signals and updates, in the same
 * workflow tasks — with activities that do nothing. It imports the Temporal workflow package alone,
 * so its bundle holds none of the engine (no domain/, no zod): what it costs is Temporal's part.
 *
 * Every command is issued whatever the timing of the inputs: a group waits until the inputs it
 * waited for in the recording have come, an update is answered only where the recording answered
 * it, and a timer is always started (then cancelled where the recording cancelled it).
 */
import {
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Command, Inputs, Progress, WorkflowShape } from './shape-types';

type NullActivities = Record<string, () => Promise<string>>;

const local = proxyLocalActivities<NullActivities>({ startToCloseTimeout: '10s' });
const remote = proxyActivities<NullActivities>({ startToCloseTimeout: '10s' });

export const ceilingProgress = defineQuery<Progress>('ceilingProgress');

/** The id of the n-th child of `shape` a workflow starts (the driver signals it by this id). */
export const childWorkflowId = (parentId: string, shape: string, n: number) => `${parentId}.${shape}-${n}`;

interface State {
  seen: Inputs;
  answered: Record<string, number>;
  timers: CancellationScope[];
  children: Record<string, number>;
}

const reached = (seen: Inputs, after: Inputs) => Object.entries(after).every(([k, n]) => (seen[k] ?? 0) >= n);

/**
 * Signals are counted whenever they come. An update is refused (as the engine refuses a confirmation
 * before delivery, 409) until the main flow waits at the group that needs it: accepted earlier, the
 * timer it cancels would be started and cancelled in one workflow task, and Temporal records neither.
 */
function handleInputs(shape: WorkflowShape, s: State, group: () => number) {
  const count = (key: string) => (s.seen[key] = (s.seen[key] ?? 0) + 1);
  const keys = new Set(shape.groups.flatMap((g) => Object.keys(g.after)));
  for (const key of keys) {
    const [kind, name] = key.split(':');
    if (kind === 'signal') setHandler(defineSignal(name), () => void count(key));
    if (kind === 'update')
      setHandler(
        defineUpdate<string>(name),
        async () => {
          const mine = count(key);
          await condition(() => (s.answered[name] ?? 0) >= mine);
          return 'ok';
        },
        {
          validator: () => {
            if ((shape.groups[group()]?.after[key] ?? 0) <= (s.seen[key] ?? 0))
              throw new Error(`not waiting for ${name} yet`);
          },
        },
      );
  }
}

/** Issues one command; returns true when the workflow is to complete. */
async function issue(cmd: Command, s: State, children: Record<string, WorkflowShape>): Promise<boolean> {
  const count = (key: string) => (s.seen[key] = (s.seen[key] ?? 0) + 1);
  switch (cmd.c) {
    case 'la':
      await local[cmd.name]();
      break;
    case 'activity':
      void remote[cmd.name]().then(() => count(`activity:${cmd.name}`));
      break;
    case 'patch':
      patched(cmd.id);
      break;
    case 'timer': {
      const scope = new CancellationScope();
      s.timers.push(scope);
      scope
        .run(() => sleep(cmd.ms))
        .then(
          () => count('timer'),
          () => undefined, // cancelled
        );
      break;
    }
    case 'cancelTimer':
      s.timers.shift()?.cancel();
      break;
    case 'child': {
      const n = (s.children[cmd.shape] = (s.children[cmd.shape] ?? 0) + 1);
      void startChild(ceilingWorkflow, {
        args: [children[cmd.shape], children],
        workflowId: childWorkflowId(workflowInfo().workflowId, cmd.shape, n),
      }).then(async (child) => {
        count('childStarted');
        await child.result();
        count('childCompleted');
      });
      break;
    }
    case 'signalParent':
      void getExternalWorkflowHandle(workflowInfo().parent!.workflowId)
        .signal(cmd.name)
        .then(() => count('signaled'));
      break;
    case 'completeUpdate':
      s.answered[cmd.name] = (s.answered[cmd.name] ?? 0) + 1;
      break;
    case 'complete':
      return true;
  }
  return false;
}

export async function ceilingWorkflow(shape: WorkflowShape, children: Record<string, WorkflowShape>): Promise<string> {
  const s: State = { seen: {}, answered: {}, timers: [], children: {} };
  let group = 0;
  handleInputs(shape, s, () => group);
  setHandler(ceilingProgress, () => ({ group, after: shape.groups[group]?.after ?? {}, seen: s.seen }));
  for (; group < shape.groups.length; group++) {
    const g = shape.groups[group];
    await condition(() => reached(s.seen, g.after));
    for (const cmd of g.commands) if (await issue(cmd, s, children)) return 'done';
  }
  // The recording ended open (an order in its after-sales window): stay open on the pending timers.
  await condition(() => false);
  return 'done';
}
