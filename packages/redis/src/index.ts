export * from './connection.js';
export * from './slots.js';
export * from './bullmq-handshake.js';
export * from './close.js';
export * from './bullmq-close.js';
