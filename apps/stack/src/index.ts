export { startStack, type RunningStack, type StartStackOptions } from './stack.js';
export { loadStackConfig, stackConfigSchema, type StackConfig } from './config.js';
export { banner } from './banner.js';
export { deleteKeysWithPrefix, redisAnswers } from './redis-check.js';
