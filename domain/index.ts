// Everything domain/ offers, for the API, activities and processes. Workflow code imports the pure
// modules it runs directly instead: this index also brings the validation schemas (*.schema.ts) and
// with them zod into whatever imports it (docs/decisions/098-lean-workflow-bundle.md).
export * from './money';
export * from './policy';
export * from './order';
export * from './order-state';
export * from './ledger';
export * from './transitions';
export * from './tracking';
export * from './payments';
export * from './risk';
export * from './pricing';
export * from './allocation';
export * from './shortage';
export * from './after-sales';
export * from './actions';
export * from './notices';
export * from './analytics';
export * from './points';
export * from './membership';
export * from './outbound-events';
export * from './order.schema';
export * from './policy.schema';
export * from './after-sales.schema';
export * from './tracking.schema';
export * from './payments.schema';
export * from './shortage.schema';
export * from './membership.schema';
export * from './outbound-events.schema';
export * from './notices/preferences.schema';
export * from './pricing/coupons.schema';
