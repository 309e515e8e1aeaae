export * from './catalog.js';
export * from './params.js';
export * from './resources.js';
export * from './record.js';
export * from './ids.js';
export * from './store.js';
export * from './secret-box.js';
export * from './queue.js';
