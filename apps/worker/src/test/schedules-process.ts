/**
 * The team schedules of a worker in their own process (the ticks and the reconcile job,
 * nothing else), for tests that run several and kill one. Config comes from the environment
 * like main.ts (`REDIS_URL`, `KEY_PREFIX`, `DATABASE_URL`, `DATABASE_SCHEMA`, `TEAMS_FILE`,
 * `JOB_LOCK_DURATION_MS`, `STALLED_INTERVAL_MS`, `SCHEDULE_*`). `CRASH_AT=schedule.after_submit`
 * SIGKILLs the process right after a tick's intent was stored, before its run is recorded.
 */
import { createRedis, IntentStore } from '@neonops/intents';
import { openDatabase } from '@neonops/durable-store';
import { TeamsFileSource } from '@neonops/teams';
import type { Redis } from 'ioredis';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startSchedules } from '../schedules/index.js';

const config = loadConfig(process.env);
if (!config.database || !config.teamsFile) throw new Error('schedules-process needs DATABASE_URL and TEAMS_FILE');
const crashAt = process.env.CRASH_AT;
const connections: Redis[] = [];
const connect = (): Redis => {
  const client = createRedis(config.redisUrl, { maxRetriesPerRequest: null });
  connections.push(client);
  return client;
};
const redis = connect();
const database = await openDatabase(config.database);
const schedules = await startSchedules({
  connection: connect,
  redis,
  keyPrefix: config.keyPrefix,
  store: new IntentStore(redis, { prefix: config.keyPrefix }),
  database,
  teams: await TeamsFileSource.load(config.teamsFile),
  logger: createLogger({ level: config.logLevel }),
  reconcileIntervalMs: config.schedules.reconcileIntervalMs,
  concurrency: config.schedules.concurrency,
  lockDurationMs: config.jobLockDurationMs,
  stalledIntervalMs: config.stalledIntervalMs,
  crashPoints: (point) => {
    if (point !== crashAt) return;
    process.stdout.write(`crashing at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('schedules-process ready\n');
process.once('SIGTERM', () => {
  void schedules
    .close()
    .then(() => database.close())
    .then(() => Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect()))))
    .then(() => process.exit(0));
});
