export { startTestRedis, spawnRedisServer, redisAnswers, freePort, type TestRedisServer } from './redis-server.js';
export { useTestRedis, deleteKeysWithPrefix, type TestRedisContext } from './redis-context.js';
export { waitUntil, type WaitUntilOptions } from './wait-until.js';
export { keysWithoutTtl } from './keys-without-ttl.js';
export { spawnProcess, type SpawnedProcess } from './spawn-process.js';
