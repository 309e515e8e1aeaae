import { waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import type { HandlerMap } from './engine/run-intent.js';
import { handlers } from './handlers/index.js';
import { ProjectLock } from './project-lock.js';
import { live, startHarness, type Harness } from './test/harness.js';
import { startLockWorker } from './test/lock-worker.js';

const ROLES = 'POST /projects/{project_id}/branches/{branch_id}/roles';
const postsOf = (h: Harness, route: string): number => Object.values(h.sim.control.counters().byRoute[route] ?? {}).reduce((a, b) => a + b, 0);
const rolesNamed = (h: Harness, name: string) => live(h.sim.control.state().roles).filter((r) => r.name === name);

describe('the project lock in the step engine', () => {
  it('is renewed while a mutating step runs far longer than its TTL: no other intent of the project mutates meanwhile', { timeout: 30_000 }, async () => {
    const h = await startHarness({ sim: { rateLimit: false } });
    const { projectId, branchId } = await h.createProject();
    // The first role POST takes 3 s in the simulator: three TTLs of the lock.
    h.sim.control.setFaults([{ route: ROLES, kind: 'latency', latencyMs: 3000, times: 1 }]);
    const { lock } = startLockWorker(h, { lockTtlMs: 1000 });

    const slow = await h.enqueue('role.create', { projectId, branchId, name: 'slow' });
    // The slow POST is inside the simulator, under the lock.
    await waitUntil(() => h.sim.control.faults()[0]?.fired === 1, { what: 'the slow POST arrived' });
    expect(await lock.holder(projectId)).toBe(slow);
    const other = await h.enqueue('role.create', { projectId, branchId, name: 'other' });

    expect((await h.waitForTerminal(slow)).status).toBe('succeeded');
    expect((await h.waitForTerminal(other)).status).toBe('succeeded');
    // The other intent found the project locked and mutated only after the slow one.
    const otherJob = await h.queue.getJob(other);
    expect(otherJob?.data.checkpoint?.lockWaits).toBeGreaterThan(0);
    const [slowRole] = rolesNamed(h, 'slow');
    const [otherRole] = rolesNamed(h, 'other');
    expect(slowRole && otherRole && slowRole.createdAt <= otherRole.createdAt).toBe(true);
    // The slow step ran once and never lost its lock; nothing was sent twice, nothing met a 423.
    expect((await h.store.get(slow))?.steps[0]).toMatchObject({ name: 'create_role', status: 'succeeded', attempts: 1 });
    expect(h.logs.join('')).not.toContain('project lock lost');
    expect(postsOf(h, ROLES)).toBe(2);
    expect(h.sim.control.counters().byStatus['423'] ?? 0).toBe(0);
    expect(await lock.holder(projectId)).toBeUndefined();
  });

  it('stops the step of a run whose token was replaced, without writing; the intent resumes and finishes once', { timeout: 30_000 }, async () => {
    const h = await startHarness({ sim: { rateLimit: false } });
    const { projectId, branchId } = await h.createProject();
    const { lock, budget } = startLockWorker(h, { lockTtlMs: 600 });
    // Every Neon call waits in the shared rate budget for 3 s: the step's POST is held there.
    await budget.onRateLimited({ method: 'POST', route: ROLES, retryAfterMs: 3000 });
    const id = await h.enqueue('role.create', { projectId, branchId, name: 'fenced' });
    const redis = h.redis.connect();
    const staleToken = await waitUntil(async () => {
      const token = await redis.get(lock.key(projectId));
      return token !== null && ProjectLock.intentOf(token) === id ? token : undefined;
    }, { what: 'the intent holds the project lock' });
    // The step's POST (its first call) passed the token check and waits in the budget.
    await waitUntil(() => budget.stats.waits > 0, { what: 'the POST waiting in the rate budget' });

    // A later run of the same intent takes the lock over (as after a stall): the first run is stale now.
    // (This stand-in does not renew, so its lock lives for a minute.)
    const later = new ProjectLock(redis, { prefix: h.redis.prefix, ttlMs: 60_000 });
    const laterToken = ProjectLock.newToken(id);
    expect(await later.acquire(projectId, laterToken, { previous: staleToken })).toEqual({ acquired: true });
    expect(await lock.extend(projectId, staleToken)).toBe(false);
    await expect(lock.assertHeld(projectId, staleToken)).rejects.toThrow(/no longer held/);
    expect(await lock.release(projectId, staleToken)).toMatchObject({ released: false });

    // Its next renewal fails: the step stops while its POST still waits in the budget.
    await waitUntil(() => h.logs.join('').includes('project lock lost during a step'), { what: 'the stale run stopped' });
    // The job comes back and finds the project held by the other token: it waits, it does not steal it.
    await waitUntil(async () => ((await h.queue.getJob(id))?.data.checkpoint?.lockWaits ?? 0) > 0, { what: 'the job waiting for the lock' });
    // Past the budget's pause, still nothing was sent and nothing of the stopped step was recorded.
    await waitUntil(async () => (await redis.exists(`${h.redis.prefix}{neon-rate}:pause`)) === 0, { what: 'the pause over' });
    expect(postsOf(h, ROLES)).toBe(0);
    const during = await h.store.get(id);
    expect(during?.status).toBe('running');
    expect(during?.steps[0]?.error).toBeUndefined();
    expect(await redis.get(lock.key(projectId))).toBe(laterToken);

    // The later run is done with the project: the intent takes the lock, reconciles and creates the role once.
    expect(await later.release(projectId, laterToken)).toMatchObject({ released: true });
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('succeeded');
    expect(rolesNamed(h, 'fenced')).toHaveLength(1);
    expect(postsOf(h, ROLES)).toBe(1);
    // Losing the lock is no failure of the intent: no retry was counted.
    expect((await h.queue.getJob(id))?.data.checkpoint?.retries).toBe(0);
  });

  it('is released after the last mutating step when the mutating steps after it are skipped', { timeout: 30_000 }, async () => {
    const h = await startHarness({ sim: { rateLimit: false } });
    const { projectId, branchId } = await h.createProject();
    const seen: Record<string, string | undefined> = {};
    const lock = new ProjectLock(h.redis.connect(), { prefix: h.redis.prefix });
    const base = handlers['role.create'];
    // role.create plus a read-only step, then a mutating step that only runs for the role "needs-more".
    const custom: HandlerMap = {
      ...handlers,
      'role.create': {
        ...base,
        steps: [
          ...base.steps,
          {
            name: 'observe',
            mutates: false,
            run: async (ctx) => {
              seen[ctx.params.name] = await lock.holder(projectId);
            },
          },
          { name: 'optional_change', mutates: true, skip: (ctx) => ctx.params.name !== 'needs-more', run: async () => undefined },
        ],
      },
    };
    startLockWorker(h, { lockTtlMs: 10_000, handlers: custom });

    const done = await h.enqueue('role.create', { projectId, branchId, name: 'done-early' });
    const more = await h.enqueue('role.create', { projectId, branchId, name: 'needs-more' });
    const early = await h.waitForTerminal(done);
    expect(early.status).toBe('succeeded');
    expect(early.steps.map((s) => [s.name, s.status])).toEqual([
      ['create_role', 'succeeded'],
      ['observe', 'succeeded'],
      ['optional_change', 'skipped'],
    ]);
    expect((await h.waitForTerminal(more)).status).toBe('succeeded');
    // Not its own while the skipped step was still ahead (free, or already taken by the intent
    // it woke: a race that a cluster's extra hop decides either way); held when a mutating step was to come.
    expect([undefined, more]).toContain(seen['done-early']);
    expect(seen['needs-more']).toBe(more);
    expect(await lock.holder(projectId)).toBeUndefined();
  });

  it('is not held while an intent backs off after a retryable error: another intent uses the project meanwhile', { timeout: 30_000 }, async () => {
    const h = await startHarness({ sim: { rateLimit: false } });
    const { projectId, branchId } = await h.createProject();
    // Three 503s: the client's three attempts of the first POST fail, the job backs off 5–10 s.
    h.sim.control.setFaults([{ route: ROLES, kind: 'status', status: 503, times: 3 }]);
    const { lock } = startLockWorker(h, { lockTtlMs: 10_000, settings: { backoffMs: 10_000, backoffMaxMs: 10_000 } });

    const first = await h.enqueue('role.create', { projectId, branchId, name: 'backs-off' });
    const job = await waitUntil(async () => {
      const found = await h.queue.getJob(first);
      return found?.data.checkpoint?.retries === 1 && (await found.getState()) === 'delayed' ? found : undefined;
    }, { what: 'the first intent backing off' });
    expect(await h.redis.connect().exists(lock.key(projectId))).toBe(0);

    const second = await h.enqueue('role.create', { projectId, branchId, name: 'meanwhile' });
    expect((await h.waitForTerminal(second)).status).toBe('succeeded');
    expect((await h.store.get(first))?.status).toBe('running');
    // Cut the backoff short: the first intent then succeeds too.
    await job.promote();
    expect((await h.waitForTerminal(first)).status).toBe('succeeded');
    expect(rolesNamed(h, 'backs-off')).toHaveLength(1);
    expect(await lock.holder(projectId)).toBeUndefined();
  });
});
