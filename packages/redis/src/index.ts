export * from './connection.js';
export * from './slots.js';
