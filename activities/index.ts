import { createAfterSalesActivities } from './after-sales';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';
import { createPaymentActivities } from './payments';
import { createProjectionActivities } from './projection';
import { createReconciliationActivities } from './reconciliation';
import { createRefundActivities } from './refunds';
import { createRiskActivities } from './risk';
import { createShippingActivities } from './shipping';
import { stepRunner, type Step } from './steps';
import { createStockActivities } from './stock';

export type { ActivityDeps } from './deps';
export type { TimelineEntry } from '../domain';
export type { OutboxMessage } from './notifications';
export type { RefundOutcome } from './refunds';
export type { BatchStop, DatabaseStep } from './steps';

/** All activities, built from injected dependencies (real database, provider adapters). */
export function createActivities(deps: ActivityDeps) {
  return withStepRunner({
    ...createProjectionActivities(deps),
    ...createRiskActivities(deps),
    ...createStockActivities(deps),
    ...createPaymentActivities(deps),
    ...createRefundActivities(deps),
    ...createShippingActivities(deps),
    ...createNotificationActivities(deps),
    ...createAfterSalesActivities(deps),
    ...createReconciliationActivities(deps),
  });
}

/** The activities and `runSteps`, which runs a batch of them (lifecycle version 4, docs/decisions/107). */
export function withStepRunner<T extends Record<string, Step>>(activities: T) {
  return { ...activities, runSteps: stepRunner(activities) };
}

export type Activities = ReturnType<typeof createActivities>;
