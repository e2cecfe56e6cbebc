export * from './catalogue';
export * from './preferences';
export * from './render';
export * from './milestones';
