export { startTestRedis, spawnRedisServer, redisAnswers, freePort, type TestRedisServer } from './redis-server.js';
export { useTestRedis, deleteKeysWithPrefix, type TestRedisContext } from './redis-context.js';
export { findTestDatabase, postgresAnswers, LOCAL_TEST_DATABASE_URL, PGLITE_MEMORY_URL, type TestDatabaseServer } from './database-server.js';
export { useTestDatabase, type TestDatabaseContext, type UseTestDatabaseOptions } from './database-context.js';
export { waitUntil, type WaitUntilOptions } from './wait-until.js';
export { keysWithoutTtl } from './keys-without-ttl.js';
export { spawnProcess, type SpawnedProcess } from './spawn-process.js';
export { spawnRedisCluster, type TestRedisCluster } from './redis-cluster.js';
export { recordUnhandledRejections } from './unhandled-rejections.js';
