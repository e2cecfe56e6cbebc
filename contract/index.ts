/** What the API, activities and workflows share on the wire: ids, signals, updates, queries, start options, failures. */
export * from './ids';
export * from './failures';
export * from './order';
export * from './shipment';
export * from './after-sales';
export * from './refund';
export * from './versions';
