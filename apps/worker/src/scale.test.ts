import { ProjectLock } from './project-lock.js';
import { describe, expect, it } from 'vitest';
import { live, startHarness, TEST_SECRETS_KEY } from './test/harness.js';
import { spawnWorker } from './test/spawn.js';

describe('at scale', () => {
  it('two worker processes run 300 intents against the default Neon limits without a 429', { timeout: 120_000 }, async () => {
    const h = await startHarness({ sim: { operations: { schedulingMs: 0, runningMs: 0 } } });
    const projects = [];
    for (let i = 0; i < 4; i++) projects.push(await h.createProject(`rate-${i}`));
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(await h.enqueue('api_key.create', { keyName: `rate-${i}` }));
    for (let i = 0; i < 100; i++) {
      const p = projects[i % projects.length];
      if (!p) throw new Error('no project');
      ids.push(await h.enqueue('endpoint.update', { projectId: p.projectId, endpointId: p.endpointId, suspendTimeoutSeconds: 300 + i }));
    }
    const env = {
      REDIS_URL: h.redis.url,
      KEY_PREFIX: h.redis.prefix,
      NEON_API_KEY: h.sim.apiKey,
      NEON_BASE_URL: h.sim.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      WORKER_CONCURRENCY: '16',
      OPERATION_POLL_MS: '20',
      LOG_LEVEL: 'warn',
    };
    const workers = [spawnWorker('test/worker-process.ts', env), spawnWorker('test/worker-process.ts', env)];
    await Promise.all(workers.map((w) => w.waitForOutput('worker-process ready')));

    const records = [];
    for (const id of ids) records.push(await h.waitForTerminal(id, 90_000));
    const failed = records.filter((r) => r.status !== 'succeeded');
    expect(failed.map((r) => r.error)).toEqual([]);
    const counters = h.sim.control.counters();
    expect(counters.byStatus['429']).toBeUndefined();
    expect(counters.byRoute['POST /api_keys']?.['200']).toBe(200);
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect((await w.exited).code).toBe(0);
  });

  it('serializes mutations per project: many intents on one project meet no 423', { timeout: 60_000 }, async () => {
    const h = await startHarness({ sim: { operations: { schedulingMs: 10, runningMs: 60 } } });
    const { projectId, branchId } = await h.createProject('busy');
    h.startWorker({ concurrency: 8 });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push(await h.enqueue('role.create', { projectId, branchId, name: `role${i}` }));
      ids.push(await h.enqueue('database.create', { projectId, branchId, name: `db${i}`, ownerName: 'neondb_owner' }));
    }
    const records = [];
    for (const id of ids) records.push(await h.waitForTerminal(id, 40_000));
    expect(records.map((r) => r.status)).toEqual(ids.map(() => 'succeeded'));
    expect(h.sim.control.counters().byStatus['423']).toBeUndefined();
    expect(live(h.sim.control.state().databases).filter((d) => d.branchId === branchId && d.name.startsWith('db'))).toHaveLength(8);
    // The lock is gone once every intent ended.
    const lockKey = new ProjectLock(h.redis.connect(), { prefix: h.redis.prefix }).key(projectId);
    expect(lockKey).toContain(projectId);
    expect(await h.redis.connect().exists(lockKey)).toBe(0);
  });
});
