import { isTerminalStatus, ProjectOwnership, type IntentRecord } from '@neonops/intents';
import { createManualClock, type ManualClock } from '@neonops/neon-sim';
import { waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from './errors.js';
import { live, startHarness, TEST_SECRETS_KEY, type Harness } from './test/harness.js';
import { spawnWorker } from './test/spawn.js';

/** A branch.create that makes its branch and compute, then fails: its database's owner does not exist (400). */
const failingBranch = (projectId: string, name: string, extra: Record<string, unknown> = {}) => ({
  projectId,
  name,
  endpoints: [{ type: 'read_write' }],
  database: { name: 'app', ownerName: 'nobody' },
  ...extra,
});

describe('nothing left behind: an intent undoes what it created when it fails or is cancelled', () => {
  it('a branch.create failing after its branch exists deletes the branch and its compute, and lists both', async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    h.startWorker();
    const id = await h.enqueue('branch.create', failingBranch(projectId, 'doomed'));
    const record = await h.waitForTerminal(id);

    // The intent ends as it failed, with the original error.
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: FailureCodes.badRequest, neonStatus: 400 });
    const state = h.sim.control.state();
    const branch = state.branches.find((b) => b.name === 'doomed');
    expect(branch?.deletedAt).toBeDefined();
    expect(live(state.endpoints).filter((e) => e.branchId === branch?.id)).toEqual([]);
    const endpoint = state.endpoints.find((e) => e.branchId === branch?.id);
    expect(endpoint).toBeDefined();

    // The record lists what was created and says it was deleted, by an undo step.
    expect(record.resources).toEqual([
      { type: 'branch', projectId, branchId: branch?.id, deletedAt: expect.any(String) },
      { type: 'endpoint', projectId, branchId: branch?.id, endpointId: endpoint?.id, deletedAt: expect.any(String) },
    ]);
    expect(record.steps.map((s) => [s.name, s.status])).toEqual([
      ['resolve_parent', 'skipped'],
      ['create_branch', 'succeeded'],
      ['create_role', 'skipped'],
      ['create_database', 'failed'],
      ['undo_delete_branch', 'succeeded'],
    ]);
    expect(record.steps.at(-1)?.attempts).toBe(1);
    expect(record.undo).toMatchObject({ status: 'done', after: 'failed' });
    expect(record.undo?.note).toContain(`branch ${branch?.id}`);
    expect(record.undo?.note).toContain(`endpoint ${endpoint?.id}`);
    // One DELETE: the compute went with its branch.
    expect(h.sim.control.counters().byRoute['DELETE /projects/{project_id}/branches/{branch_id}']).toEqual({ '200': 1 });
    expect(h.sim.control.counters().byRoute['DELETE /projects/{project_id}/endpoints/{endpoint_id}']).toBeUndefined();
  });

  it('a branch.create cancelled while it waits on its operations deletes its branch', async () => {
    const clock = createManualClock(Date.now());
    const h = await startHarness({ sim: { clock, rateLimit: false, operations: { schedulingMs: 10, runningMs: 1000 } } });
    const { projectId } = await readyProject(h, clock);
    h.startWorker();
    const id = await h.enqueue('branch.create', { projectId, name: 'cancel-me', endpoints: [{ type: 'read_write' }] });
    const waiting = await waitUntil(async () => {
      const r = await h.store.get(id);
      return r?.status === 'waiting' ? r : undefined;
    });
    // Listed as soon as the create answered, before its operations are done.
    expect(waiting.resources?.map((r) => r.type)).toEqual(['branch', 'endpoint']);
    await h.store.requestCancel(id);
    const record = await finishWithClock(h, clock, id);

    expect(record.status).toBe('cancelled');
    expect(record.error?.code).toBe('cancelled');
    expect(record.undo).toMatchObject({ status: 'done', after: 'cancelled' });
    expect(record.steps.find((s) => s.name === 'undo_delete_branch')).toMatchObject({ status: 'succeeded' });
    const branch = h.sim.control.state().branches.find((b) => b.name === 'cancel-me');
    expect(branch?.deletedAt).toBeDefined();
    expect(live(h.sim.control.state().endpoints).filter((e) => e.branchId === branch?.id)).toEqual([]);
    expect(record.resources?.every((r) => r.deletedAt !== undefined)).toBe(true);
  });

  it('a project.create cancelled after its project exists deletes it and releases its team’s ownership', async () => {
    const clock = createManualClock(Date.now());
    const h = await startHarness({ sim: { clock, rateLimit: false, operations: { schedulingMs: 10, runningMs: 1000 } } });
    h.startWorker();
    const ownership = new ProjectOwnership(h.redis.connect(), { prefix: h.redis.prefix });
    const id = await h.enqueue('project.create', { name: 'cancelled-project' });
    const waiting = await waitUntil(async () => {
      const r = await h.store.get(id);
      return r?.status === 'waiting' ? r : undefined;
    });
    const projectId = waiting.resources?.[0]?.type === 'project' ? waiting.resources[0].projectId : undefined;
    expect(projectId).toBeDefined();
    // Owned by the team from the step that learned the project id (not only on success).
    expect(await ownership.ownerOf(projectId ?? '')).toBe('team-a');

    await h.store.requestCancel(id);
    const record = await finishWithClock(h, clock, id);
    expect(record.status).toBe('cancelled');
    expect(record.undo).toMatchObject({ status: 'done', after: 'cancelled' });
    expect(record.steps.map((s) => s.name)).toEqual(['create_project', 'undo_delete_project']);
    expect(record.resources).toEqual([{ type: 'project', projectId, deletedAt: expect.any(String) }]);
    expect(live(h.sim.control.state().projects).map((p) => p.id)).not.toContain(projectId);
    expect(await ownership.ownerOf(projectId ?? '')).toBeUndefined();
    expect(await ownership.projectsOf('team-a')).toEqual([]);
  });

  it('onFailure "keep" keeps what was created and lists it', async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    h.startWorker();
    const id = await h.enqueue('branch.create', failingBranch(projectId, 'kept', { onFailure: 'keep' }));
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe(FailureCodes.badRequest);
    const branch = live(h.sim.control.state().branches).find((b) => b.name === 'kept');
    const endpoint = live(h.sim.control.state().endpoints).find((e) => e.branchId === branch?.id);
    expect(branch).toBeDefined();
    expect(endpoint).toBeDefined();
    expect(record.resources).toEqual([
      { type: 'branch', projectId, branchId: branch?.id },
      { type: 'endpoint', projectId, branchId: branch?.id, endpointId: endpoint?.id },
    ]);
    expect(record.undo).toMatchObject({ status: 'kept', after: 'failed' });
    expect(record.undo?.note).toContain(`branch ${branch?.id}`);
    expect(record.steps.some((s) => s.name.startsWith('undo_'))).toBe(false);
  });

  it('an undo that cannot finish ends failed with the original error and names what is left behind', async () => {
    const h = await startHarness({ sim: { faults: [{ route: 'DELETE /projects/{project_id}/branches/{branch_id}', kind: 'status', status: 503 }] } });
    const { projectId } = await h.createProject();
    h.startWorker({ settings: { maxAttempts: 3 } });
    const id = await h.enqueue('branch.create', failingBranch(projectId, 'stuck'));
    const record = await h.waitForTerminal(id);

    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: FailureCodes.badRequest, neonStatus: 400 });
    const branch = live(h.sim.control.state().branches).find((b) => b.name === 'stuck');
    expect(branch).toBeDefined();
    expect(record.undo).toMatchObject({ status: 'incomplete', after: 'failed', error: { code: FailureCodes.retriesExhausted } });
    expect(record.undo?.note).toMatch(/left behind/);
    expect(record.undo?.note).toContain(`branch ${branch?.id}`);
    expect(record.resources?.map((r) => [r.type, r.deletedAt])).toEqual([
      ['branch', undefined],
      ['endpoint', undefined],
    ]);
    // Retried like any step: the retry count started afresh for the undo.
    expect(record.steps.find((s) => s.name === 'undo_delete_branch')).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('an undo cut short by a crash after its DELETE is resumed by another worker', { timeout: 60_000 }, async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    const id = await h.enqueue('branch.create', failingBranch(projectId, 'crash-undo'));
    const child = spawnWorker('test/worker-process.ts', {
      REDIS_URL: h.redis.url,
      KEY_PREFIX: h.redis.prefix,
      NEON_API_KEY: h.sim.apiKey,
      NEON_BASE_URL: h.sim.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      CRASH_AFTER_MUTATION: 'undo_delete_branch',
      JOB_LOCK_DURATION_MS: '1000',
      STALLED_INTERVAL_MS: '300',
      LOG_LEVEL: 'warn',
    });
    expect((await child.exited).signal).toBe('SIGKILL');
    expect((await h.store.get(id))?.status).toBe('running');
    expect(h.sim.control.state().branches.find((b) => b.name === 'crash-undo')?.deletedAt).toBeDefined();

    h.startWorker({ worker: { stalledIntervalMs: 300, lockDurationMs: 1000 } });
    const record = await h.waitForTerminal(id, 20_000);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe(FailureCodes.badRequest);
    expect(record.undo?.status).toBe('done');
    // The DELETE was repeated (the branch already gone: 204, harmless) and the undo finished.
    expect(h.sim.control.counters().byRoute['DELETE /projects/{project_id}/branches/{branch_id}']).toEqual({ '200': 1, '204': 1 });
    expect(record.steps.find((s) => s.name === 'undo_delete_branch')).toMatchObject({ status: 'succeeded' });
    expect(record.resources?.every((r) => r.deletedAt !== undefined)).toBe(true);
  });
});

/** A project whose creation operations are done (the simulator's clock is manual). */
async function readyProject(h: Harness, clock: ManualClock): Promise<{ projectId: string }> {
  const created = await h.neon.createProject({ project: { name: 'undo' } });
  clock.advance(5000);
  await h.neon.waitForOperations(created.project.id, created.operations.map((op) => op.id), { pollIntervalMs: 5 });
  return { projectId: created.project.id };
}

/** Moves the simulator's clock on until the intent has finished (every operation it waits for, undo included, ends). */
async function finishWithClock(h: Harness, clock: ManualClock, id: string): Promise<IntentRecord> {
  return waitUntil(
    async () => {
      clock.advance(1000);
      const r = await h.store.get(id);
      return r && isTerminalStatus(r.status) ? r : undefined;
    },
    { timeoutMs: 20_000, what: `intent ${id} finished` },
  );
}
