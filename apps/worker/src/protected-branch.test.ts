import { describe, expect, it } from 'vitest';
import { live, startHarness } from './test/harness.js';

describe('branch.delete of a protected branch', () => {
  it('fails with branch_protected and leaves the branch, even when queued before the protection was set', { timeout: 30_000 }, async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject('protected');
    const { branch } = await h.neon.createBranch(projectId, { branch: { name: 'release' } });
    // Queued while unprotected (the API let it through); protected before the worker runs it.
    const id = await h.enqueue('branch.delete', { projectId, branchId: branch.id });
    await h.neon.updateBranch(projectId, branch.id, { branch: { protected: true } });
    h.startWorker();
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'branch_protected' });
    expect(live(h.sim.control.state().branches).some((b) => b.id === branch.id)).toBe(true);

    // Unprotected again, the same kind deletes it; a branch already gone is done without a DELETE.
    await h.neon.updateBranch(projectId, branch.id, { branch: { protected: false } });
    expect((await h.waitForTerminal(await h.enqueue('branch.delete', { projectId, branchId: branch.id }))).status).toBe('succeeded');
    expect(live(h.sim.control.state().branches).some((b) => b.id === branch.id)).toBe(false);
    expect((await h.waitForTerminal(await h.enqueue('branch.delete', { projectId, branchId: branch.id }))).status).toBe('succeeded');
  });
});
