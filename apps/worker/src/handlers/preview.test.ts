import { PullRequestStates, secretContext } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { PREVIEW_ANNOTATION, previewMark } from '../reconcile/annotation.js';
import { startHarness } from '../test/harness.js';

describe('preview.ensure: the rule on an existing branch', () => {
  it('gives an adopted branch without a compute its endpoint, makes the rule’s role and database (again when gone, as after a restore from a parent without it), and adds nothing twice', async () => {
    const h = await startHarness();
    h.startWorker();
    const { projectId } = await h.createProject();
    const pr = { sourceId: 'src_rule', repositoryId: 11, number: 3, updatedAt: new Date().toISOString(), headSha: 'abc' };
    await new PullRequestStates(h.redis.connect(), { prefix: h.redis.prefix }).advance(pr, { state: 'open', updatedAt: Date.now(), headSha: 'abc' });
    // The preview exists already, annotated for the PR, but without a compute (deleted by hand, say).
    const made = await h.neon.createBranch(projectId, { branch: { name: 'preview/pr-3-x' }, annotation_value: { [PREVIEW_ANNOTATION]: previewMark(pr) } });
    await h.neon.waitForOperations(projectId, made.operations.map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
    const branchId = made.branch.id;
    const state = () => h.sim.control.state();
    const live = <T extends { deletedAt?: unknown; branchId?: string }>(xs: T[]) => xs.filter((x) => !x.deletedAt && x.branchId === branchId);
    expect(live(state().endpoints)).toHaveLength(0);

    const params = { projectId, name: 'preview/pr-3-x', endpoints: [{ type: 'read_write' }], ttlSeconds: 3600, database: { name: 'app', owner: 'app_owner' }, pullRequest: pr };
    const first = await h.waitForTerminal(await h.enqueue('preview.ensure', params));
    expect(first.status, JSON.stringify(first.error)).toBe('succeeded');
    expect(first.result).toMatchObject({ action: 'extended', branch: { id: branchId }, endpoints: [{ type: 'read_write' }] });
    expect(live(state().endpoints)).toHaveLength(1);
    expect(live(state().roles).filter((r) => r.name === 'app_owner')).toHaveLength(1);
    expect(live(state().databases).filter((d) => d.name === 'app' && d.ownerName === 'app_owner')).toHaveLength(1);
    // CI's connection URIs include the new database.
    const secrets = h.box.open((await h.store.getSecrets(first.id)) ?? '', secretContext.intent(first.id)) as { connectionUris: { databaseName: string; roleName: string }[] };
    expect(secrets.connectionUris).toContainEqual(expect.objectContaining({ databaseName: 'app', roleName: 'app_owner' }));

    // The next event: nothing is added twice.
    const second = await h.waitForTerminal(await h.enqueue('preview.ensure', params));
    expect(second.status).toBe('succeeded');
    expect(live(state().endpoints)).toHaveLength(1);
    expect(live(state().roles).filter((r) => r.name === 'app_owner')).toHaveLength(1);
    expect(live(state().databases).filter((d) => d.name === 'app')).toHaveLength(1);

    // A push with reset: the branch is restored to its parent, whose data has no such database
    // (the simulator's restore keeps databases, so it is dropped here as Neon's restore would).
    const dropped = await h.neon.deleteDatabase(projectId, branchId, 'app');
    await h.neon.waitForOperations(projectId, (dropped?.operations ?? []).map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
    expect(live(state().databases).filter((d) => d.name === 'app')).toHaveLength(0);
    const reset = await h.waitForTerminal(await h.enqueue('preview.ensure', { ...params, reset: true }));
    expect(reset.status, JSON.stringify(reset.error)).toBe('succeeded');
    expect(reset.result).toMatchObject({ action: 'reset', branch: { id: branchId } });
    expect(live(state().databases).filter((d) => d.name === 'app')).toHaveLength(1);
    expect(live(state().endpoints)).toHaveLength(1);
  });
});
