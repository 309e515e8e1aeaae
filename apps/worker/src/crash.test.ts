import { bullPrefix } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { INTENT_ANNOTATION } from './reconcile/annotation.js';
import { live, startHarness, TEST_SECRETS_KEY } from './test/harness.js';
import { spawnWorker } from './test/spawn.js';

describe('a worker killed between the Neon POST and its checkpoint', () => {
  it('is resumed by a new worker that reconciles and makes exactly one branch', { timeout: 60_000 }, async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    const id = await h.enqueue('branch.create', { projectId, name: 'crash-me', endpoints: [{ type: 'read_write' }] });

    const child = spawnWorker('test/worker-process.ts', {
      REDIS_URL: h.redis.url,
      KEY_PREFIX: h.redis.prefix,
      NEON_API_KEY: h.sim.apiKey,
      NEON_BASE_URL: h.sim.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      CRASH_AFTER_MUTATION: 'create_branch',
      // A short job lock, so that the dead worker's job is found stalled quickly.
      JOB_LOCK_DURATION_MS: '1000',
      // BullMQ throttles stalled checks queue-wide with this interval (a key every worker honours).
      STALLED_INTERVAL_MS: '300',
      LOG_LEVEL: 'warn',
    });
    const { signal } = await child.exited;
    expect(signal).toBe('SIGKILL');
    expect(child.output()).toContain('crashing at worker.after_neon_post:create_branch');

    // The POST reached Neon; the checkpoint only knows that the create had started.
    const branches = () => live(h.sim.control.state().branches).filter((b) => b.name === 'crash-me');
    expect(branches()).toHaveLength(1);
    const job = await h.queue.getJob(id);
    expect(job?.data.checkpoint?.mutationStarted).toMatchObject({ step: 1 });
    expect(job?.data.checkpoint?.state.branchId).toBeUndefined();
    expect((await h.store.get(id))?.status).toBe('running');
    expect(h.queue.opts.prefix).toBe(bullPrefix(h.redis.prefix));

    h.startWorker({ worker: { stalledIntervalMs: 300, lockDurationMs: 1000 } });
    const record = await h.waitForTerminal(id, 20_000);
    expect(record.status).toBe('succeeded');
    expect(branches()).toHaveLength(1);
    const [branch] = branches();
    expect(branch?.annotations[INTENT_ANNOTATION]).toBe(id);
    expect(live(h.sim.control.state().endpoints).filter((e) => e.branchId === branch?.id)).toHaveLength(1);
    expect((record.result as { branch: { id: string } }).branch.id).toBe(branch?.id);
    const posts = h.sim.control.counters().byRoute['POST /projects/{project_id}/branches'] ?? {};
    expect(Object.values(posts).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('fails the intent with worker_lost when its job stalls more often than allowed', { timeout: 60_000 }, async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    const id = await h.enqueue('branch.create', { projectId, name: 'lost' });
    const child = spawnWorker('test/worker-process.ts', {
      REDIS_URL: h.redis.url,
      KEY_PREFIX: h.redis.prefix,
      NEON_API_KEY: h.sim.apiKey,
      NEON_BASE_URL: h.sim.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      CRASH_AFTER_MUTATION: 'create_branch',
      JOB_LOCK_DURATION_MS: '1000',
      STALLED_INTERVAL_MS: '300',
      LOG_LEVEL: 'warn',
    });
    expect((await child.exited).signal).toBe('SIGKILL');
    // This worker allows no stall: the dead worker's job fails, and the intent with it.
    h.startWorker({ worker: { stalledIntervalMs: 300, lockDurationMs: 1000, maxStalledCount: 0 } });
    const record = await h.waitForTerminal(id, 20_000);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe('worker_lost');
  });
});
