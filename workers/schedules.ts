import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { ReconciliationInput } from '../workflows/reconciliation';

export const RECONCILIATION_SCHEDULE_ID = 'reconciliation';

/**
 * Creates the Temporal Schedule that runs reconciliation every `intervalSeconds` (once per
 * deployment: a second worker or a restart finds it already there and updates its interval).
 */
export async function ensureReconciliationSchedule(
  client: Client,
  opts: { taskQueue: string; intervalSeconds: number; settleSeconds: number; scheduleId?: string },
): Promise<string> {
  const scheduleId = opts.scheduleId ?? RECONCILIATION_SCHEDULE_ID;
  const args: [ReconciliationInput] = [
    { lookbackSeconds: opts.intervalSeconds * 2, settleSeconds: opts.settleSeconds },
  ];
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'reconciliationWorkflow',
    workflowId: `reconciliation-run`,
    taskQueue: opts.taskQueue,
    args,
  };
  const spec = { intervals: [{ every: `${opts.intervalSeconds}s` as const }] };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action }));
  }
  return scheduleId;
}
