import { waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from './errors.js';
import { ProjectLock } from './project-lock.js';
import { startHarness } from './test/harness.js';

describe('a Neon operation that never finishes', () => {
  it('fails the intent with neon_operation_stuck past the deadline, naming the operation, and frees the project', { timeout: 30_000 }, async () => {
    const h = await startHarness({ sim: { rateLimit: false } });
    const { projectId } = await h.createProject();
    // From now on an operation runs for ten minutes.
    h.sim.control.setOperationTiming({ schedulingMs: 0, runningMs: 600_000 });
    h.startWorker({ settings: { operationDeadlineMs: 1500 } });
    const lock = new ProjectLock(h.redis.connect(), { prefix: h.redis.prefix });

    const id = await h.enqueue('branch.create', { projectId, name: 'never-ready' });
    // While it waits, the intent keeps the project.
    await waitUntil(async () => (await h.store.get(id))?.status === 'waiting' && (await lock.holder(projectId)) === id, {
      what: 'the intent waiting on its operation under the lock',
    });

    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe(FailureCodes.operationStuck);
    const [operationId] = record.operationIds;
    const operation = h.sim.control.state().operations.find((op) => op.id === operationId);
    expect(operation?.status).toBe('running');
    expect(record.error?.message).toContain(`${operationId} (create_branch, running)`);
    expect(record.error?.message).toMatch(/deadline 1\.5 s/);
    expect(record.steps.find((s) => s.name === 'create_branch')?.status).toBe('failed');
    expect(await h.redis.connect().exists(lock.key(projectId))).toBe(0);
  });
});
