import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateToLatest, openDatabase, ScheduleStore, type Schedule, type ScheduleRun } from '@neonops/durable-store';
import { bullPrefix, IntentStore, SCHEDULE_TICK_JOB, SCHEDULES_QUEUE, syncJobScheduler } from '@neonops/intents';
import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { spawnWorker } from '../test/spawn.js';
import { tickTimeOf } from './index.js';

const suspend = (endpointId: string) => ({ kind: 'endpoint.suspend' as const, params: { projectId: 'p-1', endpointId } });

describe('team schedules across worker processes', () => {
  it(
    'three workers and a SIGKILL mid-tick: each schedule ran exactly once per tick, no tick lost',
    async (context) => {
      const db = useTestDatabase('schedules_crash');
      // Several processes share one database: PostgreSQL only (an embedded PGlite is one process's).
      if (db.engine === 'pglite') context.skip();
      const redis = useTestRedis('schedules-crash');
      const database = await openDatabase({ url: db.url, schema: db.schema });
      onTestFinished(() => database.close());
      await migrateToLatest(database);
      const dir = await mkdtemp(join(tmpdir(), 'schedules-crash-'));
      onTestFinished(() => rm(dir, { recursive: true, force: true }));
      const teamsFile = join(dir, 'teams.yaml');
      await writeFile(teamsFile, 'teams:\n  - id: payments\n    projects: [p-1]\n');
      const client = redis.connect();
      const store = new IntentStore(client, { prefix: redis.prefix });
      const schedules = new ScheduleStore(database);
      const queue = new Queue(SCHEDULES_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
      onTestFinished(() => queue.close());

      const env = {
        REDIS_URL: redis.url,
        KEY_PREFIX: redis.prefix,
        ...db.env,
        TEAMS_FILE: teamsFile,
        NEON_API_KEY: 'napi_unused',
        SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1)).toString('base64'),
        JOB_LOCK_DURATION_MS: '1500',
        STALLED_INTERVAL_MS: '500',
        LOG_LEVEL: 'warn',
      };
      const workers = [
        spawnWorker('test/schedules-process.ts', { ...env, CRASH_AT: 'schedule.after_submit' }),
        spawnWorker('test/schedules-process.ts', env),
        spawnWorker('test/schedules-process.ts', env),
      ];
      await Promise.all(workers.map((w) => w.waitForOutput('schedules-process ready', 30_000)));

      const made: Schedule[] = [];
      for (const endpointId of ['ep-1', 'ep-2']) {
        const schedule = await schedules.create({ teamId: 'payments', timing: { everyMs: 300 }, intent: suspend(endpointId) });
        await syncJobScheduler(queue, schedule);
        made.push(schedule);
      }
      const runs = async (id: string): Promise<ScheduleRun[]> => (await schedules.listRuns(id, { limit: 1000 })).items;
      // The intents' own worker, in short: each intent ends once it is seen, so the next tick submits again.
      const finishQueued = async () => {
        for (const intent of (await store.list('payments', { status: 'queued', limit: 100 })).items) await store.finish(intent.id, 'succeeded', { result: {} });
      };
      const crashed = await waitUntil(async () => {
        await finishQueued();
        return workers[0]?.output().includes('crashing at schedule.after_submit') ? workers[0].exited : false;
      });
      expect((await crashed).signal).toBe('SIGKILL');
      // Past the crash, every schedule keeps running on the two others (the killed tick is taken over once its lock expires).
      const counts = await Promise.all(made.map(async (s) => (await runs(s.id)).length));
      await waitUntil(
        async () => {
          await finishQueued();
          const now = await Promise.all(made.map(async (s) => (await runs(s.id)).length));
          return now.every((n, i) => n >= (counts[i] ?? 0) + 8);
        },
        { timeoutMs: 30_000 },
      );
      // Stop the ticks, then let everything in flight end.
      for (const s of made) await syncJobScheduler(queue, { ...s, paused: true });
      // (a tick that found its schedule's lease held waits in delayed for a moment)
      await waitUntil(
        async () => (await queue.getActiveCount()) + (await queue.getWaitingCount()) === 0 && (await queue.getDelayed()).every((job) => job.name !== SCHEDULE_TICK_JOB),
        { timeoutMs: 20_000 },
      );

      const tickJobs = (await queue.getJobs(['completed', 'failed'], 0, -1)).filter((job) => job.name === SCHEDULE_TICK_JOB);
      expect(await queue.getFailedCount()).toBe(0);
      const allRuns = (await Promise.all(made.map((s) => runs(s.id)))).flat();
      // No tick lost: every tick job BullMQ made has its run.
      const recorded = new Set(allRuns.map((r) => `${r.scheduleId}:${Date.parse(r.tickAt)}`));
      const lost = tickJobs.filter((job) => !recorded.has(`${(job.data as { scheduleId: string }).scheduleId}:${tickTimeOf(job).getTime()}`));
      expect(lost.map((job) => ({ id: job.id, returned: job.returnvalue as unknown, stalled: job.stalledCounter }))).toEqual([]);
      // The tick the killed process held was taken over (stalled once) and recorded, not lost.
      expect(tickJobs.filter((job) => job.stalledCounter > 0).map((job) => job.stalledCounter), JSON.stringify(tickJobs.map((job) => [job.id, job.stalledCounter]))).toContain(1);
      expect(recorded.size).toBe(allRuns.length);
      // Exactly once: one intent per submitted run, none without its run.
      const submitted = allRuns.filter((r) => r.status === 'submitted');
      const intents = (await store.list('payments', { limit: 100 })).items;
      let all = intents;
      let cursor = (await store.list('payments', { limit: 100 })).nextCursor;
      while (cursor) {
        const page = await store.list('payments', { limit: 100, cursor });
        all = [...all, ...page.items];
        cursor = page.nextCursor;
      }
      expect(new Set(submitted.map((r) => r.intentId)).size).toBe(submitted.length);
      expect(all.map((i) => i.id).sort()).toEqual(submitted.map((r) => r.intentId).sort());
      expect(submitted.length).toBeGreaterThanOrEqual(16);
    },
    120_000,
  );
});
