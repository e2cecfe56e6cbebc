import { condition } from '@temporalio/workflow';

// The engine's workflows, so each parked workflow loads the same modules an order does.
export * from '../../workflows';

/** Waits forever: a workflow that stays cached, as an order does through its return window. */
export async function parkedWorkflow(): Promise<void> {
  await condition(() => false);
}
