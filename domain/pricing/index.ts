export * from './catalog';
export * from './rules';
export * from './allocate';
export * from './engine';
export * from './coupons';
