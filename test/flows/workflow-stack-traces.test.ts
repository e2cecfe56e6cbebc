// Temporal's stack trace query needs the SDK's per-promise stack hook, which the engine's workers leave
// off unless WORKFLOW_STACK_TRACES=on (docs/decisions/109; the SDK file is patched on install, patches/).
import { spawnSync } from 'node:child_process';
import { useFlowEnv } from '../helpers/flows';

const env = useFlowEnv();

test('a worker as the engine starts it records no stacks: the stack trace query is refused as not enabled', async () => {
  const o = await env.startOrder();
  await o.booked();
  await expect(o.handle.query<string>('__stack_trace')).rejects.toThrow(
    'Workflow stack traces are not enabled on this worker',
  );
  // The order itself answers as ever.
  expect((await o.state()).shipments).toHaveLength(1);
});

/**
 * Whether the SDK's workflow threads install the hook in a process with this environment. Jest gives a
 * test a copy of `process.env` that the SDK's threads never see, so the check runs in a process of its own.
 */
function hookInstalled(value: string | undefined): string {
  const childEnv = { ...process.env };
  delete childEnv.WORKFLOW_STACK_TRACES;
  if (value !== undefined) childEnv.WORKFLOW_STACK_TRACES = value;
  const script = `const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared');
    globalHandlers.install();
    process.stdout.write(String(globalHandlers.promiseHookInstalled));`;
  const run = spawnSync(process.execPath, ['-e', script], { env: childEnv, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout;
}

test('the SDK installs the hook only when WORKFLOW_STACK_TRACES=on', () => {
  expect(hookInstalled(undefined)).toBe('false');
  expect(hookInstalled('off')).toBe('false');
  expect(hookInstalled('on')).toBe('true');
});
