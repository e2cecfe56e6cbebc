import { createAfterSalesActivities } from './after-sales';
import type { ActivityDeps } from './deps';
import { createNotificationActivities } from './notifications';
import { createPaymentActivities } from './payments';
import { createProjectionActivities } from './projection';
import { createReconciliationActivities } from './reconciliation';
import { createRefundActivities } from './refunds';
import { createRiskActivities } from './risk';
import { createShippingActivities } from './shipping';
import { createStockActivities } from './stock';

export type { ActivityDeps } from './deps';
export type { TimelineEntry } from '../domain';
export type { OutboxMessage } from './notifications';
export type { RefundOutcome } from './refunds';

/** All activities, built from injected dependencies (real database, provider adapters). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
    ...createRiskActivities(deps),
    ...createStockActivities(deps),
    ...createPaymentActivities(deps),
    ...createRefundActivities(deps),
    ...createShippingActivities(deps),
    ...createNotificationActivities(deps),
    ...createAfterSalesActivities(deps),
    ...createReconciliationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
