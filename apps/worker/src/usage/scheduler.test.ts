import { bullPrefix, ProjectOwnership } from '@neonops/intents';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import type { CollectReport } from './collect.js';
import { servedProjects, startUsageCollector, USAGE_QUEUE, USAGE_SCHEDULER_ID } from './index.js';
import { createProject, HOUR, usageFixture } from './test-fixture.js';

describe('the usage collection scheduler', () => {
  it('two worker processes share one schedule: each tick runs once, on every project we serve, and is logged', { timeout: 60_000 }, async () => {
    const f = await usageFixture({ start: '2026-10-01T00:00:00.000Z', sim: { rateLimit: false } });
    const redis = useTestRedis('usage-scheduler');
    const client = redis.connect();
    const ours = await createProject(f.neon, 'ours');
    const fileProject = await createProject(f.neon, 'from-file');
    await createProject(f.neon, 'not-ours');
    const ownership = new ProjectOwnership(client, { prefix: redis.prefix });
    await ownership.record('team-a', ours.projectId);
    await ownership.record('team-a', fileProject.projectId); // also in the file, for team-b: the file wins
    f.clock.advance(3 * HOUR);

    const reports: CollectReport[] = [];
    const start = () =>
      startUsageCollector({
        connection: () => redis.connect({ maxRetriesPerRequest: null }),
        keyPrefix: redis.prefix,
        logger: createLogger({ level: 'silent' }),
        neon: f.collectorNeon,
        store: f.store,
        orgId: 'org-test',
        projects: servedProjects(() => [{ id: 'team-a', projects: [] }, { id: 'team-b', projects: [fileProject.projectId] }], ownership),
        schedule: { every: 300 },
        lookbackHours: 3,
        now: () => new Date(f.clock.now()),
        onRun: (report) => reports.push(report),
      });
    const [one, two] = [await start(), await start()];
    onTestFinished(async () => {
      await one.close();
      await two.close();
    });
    await waitUntil(() => reports.length >= 3, { what: 'three ticks', timeoutMs: 30_000 });
    await one.close();
    await two.close();

    const ids = reports.map((r) => r.runId);
    expect(new Set(ids).size).toBe(ids.length);
    const runs = await f.store.listRuns(100);
    expect(runs.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(runs.every((r) => r.status === 'succeeded' && r.projects === 2)).toBe(true);
    const queue = new Queue(USAGE_QUEUE, { connection: redis.connect({ maxRetriesPerRequest: null }), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([USAGE_SCHEDULER_ID]);

    const teams = await f.database.db.selectFrom('usage_hourly').select(['project_id', 'team_id']).distinct().orderBy('project_id').execute();
    expect(teams).toEqual(
      [
        { project_id: ours.projectId, team_id: 'team-a' },
        { project_id: fileProject.projectId, team_id: 'team-b' },
      ].sort((a, b) => a.project_id.localeCompare(b.project_id)),
    );
  });
});
