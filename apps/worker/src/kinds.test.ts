import { intentKinds, ProjectOwnership, secretContext, PullRequestStates, type IntentKind } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { INTENT_ANNOTATION, PREVIEW_ANNOTATION } from './reconcile/annotation.js';
import { live, startHarness } from './test/harness.js';

describe('every intent kind', () => {
  it('reaches succeeded through a real worker, and the simulator shows its effect', { timeout: 60_000 }, async () => {
    const h = await startHarness();
    h.startWorker({ concurrency: 4 });
    const { projectId, branchId: mainId } = await h.createProject('kinds');
    const seen = new Set<IntentKind>();
    const run = async (kind: IntentKind, params: unknown) => {
      const id = await h.enqueue(kind, params);
      const record = await h.waitForTerminal(id);
      expect({ kind, status: record.status, error: record.error }).toEqual({ kind, status: 'succeeded', error: undefined });
      expect(record.steps.every((s) => s.status === 'succeeded' || s.status === 'skipped')).toBe(true);
      seen.add(kind);
      return record;
    };
    const state = () => h.sim.control.state();

    // Projects.
    const created = await run('project.create', { name: 'made-by-intent' });
    const newProjectId = (created.result as { project: { id: string } }).project.id;
    expect(live(state().projects).map((p) => p.name)).toContain('made-by-intent');
    expect(created.hasSecrets).toBe(true);
    const sealed = await h.store.getSecrets(created.id);
    const secrets = h.box.open(sealed ?? '', secretContext.intent(created.id)) as { connectionUris: Array<{ uri: string; pooledUri: string }> };
    expect(secrets.connectionUris.length).toBeGreaterThan(0);
    expect(secrets.connectionUris[0]?.pooledUri).toContain('-pooler');
    const ownership = new ProjectOwnership(h.redis.connect(), { prefix: h.redis.prefix });
    expect(await ownership.ownerOf(newProjectId)).toBe('team-a');
    await run('project.update', { projectId, name: 'kinds-renamed' });
    expect(state().projects.find((p) => p.id === projectId)?.name).toBe('kinds-renamed');

    // A branch with an endpoint, a role and a database.
    const branchRecord = await run('branch.create', {
      projectId,
      name: 'pr-1',
      endpoints: [{ type: 'read_write' }],
      role: { name: 'app' },
      database: { name: 'appdb' },
    });
    const branch = live(state().branches).find((b) => b.name === 'pr-1');
    expect(branch?.annotations[INTENT_ANNOTATION]).toBe(branchRecord.id);
    const branchId = branch?.id ?? '';
    expect(live(state().endpoints).filter((e) => e.branchId === branchId)).toHaveLength(1);
    expect(live(state().roles).some((r) => r.branchId === branchId && r.name === 'app')).toBe(true);
    expect(live(state().databases).find((d) => d.branchId === branchId && d.name === 'appdb')?.ownerName).toBe('app');
    const branchSecrets = h.box.open((await h.store.getSecrets(branchRecord.id)) ?? '', secretContext.intent(branchRecord.id)) as { connectionUris: Array<{ databaseName: string }> };
    expect(branchSecrets.connectionUris.map((c) => c.databaseName)).toContain('appdb');
    expect(JSON.stringify(branchRecord.result)).not.toMatch(/postgres(ql)?:\/\//);

    // Parent by name, with an expiry.
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    await run('branch.create', { projectId, name: 'pr-1-child', parent: { name: 'pr-1' }, expiresAt });
    const child = live(state().branches).find((b) => b.name === 'pr-1-child');
    expect(child?.parentId).toBe(branchId);
    expect(child?.expiresAt).toBeDefined();

    await run('branch.update', { projectId, branchId, name: 'pr-1b', protected: false });
    expect(state().branches.find((b) => b.id === branchId)?.name).toBe('pr-1b');

    // Endpoints.
    const ro = await run('endpoint.create', { projectId, branchId, type: 'read_only' });
    const roId = (ro.result as { endpoint: { id: string } }).endpoint.id;
    expect(live(state().endpoints).find((e) => e.id === roId)?.type).toBe('read_only');
    await run('endpoint.update', { projectId, endpointId: roId, suspendTimeoutSeconds: 600 });
    expect(state().endpoints.find((e) => e.id === roId)?.suspendTimeoutSeconds).toBe(600);
    await run('endpoint.start', { projectId, endpointId: roId });
    await run('endpoint.restart', { projectId, endpointId: roId });
    await run('endpoint.suspend', { projectId, endpointId: roId });
    expect(state().endpoints.find((e) => e.id === roId)?.currentState).toBe('idle');
    await run('endpoint.delete', { projectId, endpointId: roId });
    expect(state().endpoints.find((e) => e.id === roId)?.deletedAt).toBeDefined();

    // Databases and roles.
    await run('role.create', { projectId, branchId, name: 'reporter' });
    await run('database.create', { projectId, branchId, name: 'reports', ownerName: 'reporter' });
    await run('database.update', { projectId, branchId, name: 'reports', newName: 'reports2' });
    expect(live(state().databases).some((d) => d.branchId === branchId && d.name === 'reports2')).toBe(true);
    await run('database.delete', { projectId, branchId, name: 'reports2' });
    expect(live(state().databases).some((d) => d.branchId === branchId && d.name === 'reports2')).toBe(false);
    const reset = await run('role.reset_password', { projectId, branchId, name: 'reporter' });
    const password = (h.box.open((await h.store.getSecrets(reset.id)) ?? '', secretContext.intent(reset.id)) as { password: string }).password;
    expect(state().roles.find((r) => r.branchId === branchId && r.name === 'reporter' && !r.deletedAt)?.password).toBe(password);
    await run('role.delete', { projectId, branchId, name: 'reporter' });
    expect(live(state().roles).some((r) => r.branchId === branchId && r.name === 'reporter')).toBe(false);

    // A pull request's preview: created, then adopted with a reset and a new expiry; a late
    // ensure after the PR closed is skipped; teardown deletes it, and again finds it gone.
    const pr = { sourceId: 'src_kinds', repositoryId: 1, number: 7, updatedAt: new Date().toISOString() };
    const prStates = new PullRequestStates(h.redis.connect(), { prefix: h.redis.prefix });
    await prStates.advance(pr, { state: 'open', updatedAt: Date.now(), headSha: 'a' });
    const ensure = { projectId, name: 'preview/pr-7-x', endpoints: [{ type: 'read_write' }], ttlSeconds: 3600, pullRequest: pr };
    expect((await run('preview.ensure', ensure)).result).toMatchObject({ action: 'created', endpoints: [{ type: 'read_write' }] });
    const preview = live(state().branches).find((b) => b.name === 'preview/pr-7-x');
    expect(preview?.annotations[PREVIEW_ANNOTATION]).toBe('src_kinds:1#7');
    expect(preview?.expiresAt).toBeDefined();
    expect((await run('preview.ensure', { ...ensure, reset: true })).result).toMatchObject({ action: 'reset', branch: { id: preview?.id } });
    expect((await run('preview.ensure', ensure)).result).toMatchObject({ action: 'extended', branch: { id: preview?.id } });
    expect(live(state().branches).filter((b) => b.name === 'preview/pr-7-x')).toHaveLength(1);
    await prStates.advance(pr, { state: 'closed', updatedAt: Date.now() + 1000, headSha: 'a' });
    expect((await run('preview.ensure', ensure)).result).toMatchObject({ action: 'skipped', reason: 'pull_request_closed' });
    const teardown = { projectId, name: 'preview/pr-7-x', pullRequest: pr };
    expect((await run('preview.teardown', teardown)).result).toMatchObject({ action: 'deleted', branchId: preview?.id });
    expect(state().branches.find((b) => b.id === preview?.id)?.deletedAt).toBeDefined();
    expect((await run('preview.teardown', teardown)).result).toMatchObject({ action: 'gone' });

    // Restore, then delete the branch.
    await run('branch.restore', { projectId, branchId, sourceBranchId: mainId, preserveUnderName: 'pr-1-before-restore' });
    expect(live(state().branches).some((b) => b.name === 'pr-1-before-restore')).toBe(true);
    await run('branch.delete', { projectId, branchId });
    expect(state().branches.find((b) => b.id === branchId)?.deletedAt).toBeDefined();

    // API keys (admin kinds).
    const key = await run('api_key.create', { keyName: 'ci' });
    const keyId = (key.result as { id: number }).id;
    expect((h.box.open((await h.store.getSecrets(key.id)) ?? '', secretContext.intent(key.id)) as { key: string }).key.length).toBeGreaterThan(10);
    await run('api_key.revoke', { keyId });
    expect(state().apiKeys.find((k) => k.id === keyId)).toMatchObject({ revoked: true });

    await run('project.delete', { projectId: newProjectId });
    expect(state().projects.find((p) => p.id === newProjectId)?.deletedAt).toBeDefined();
    expect(await ownership.ownerOf(newProjectId)).toBeUndefined();

    expect([...seen].sort()).toEqual([...intentKinds].sort());
  });
});
