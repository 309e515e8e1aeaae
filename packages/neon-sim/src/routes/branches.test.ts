import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { LOCKED_MESSAGE } from '../http/errors.js';
import { createReadyProject, startTestSim, type TestSim } from '../test/harness.js';

type CreatedBranch = ResponseBody<'createProjectBranch', 201>;
type ErrorBody = { code: string; message: string; request_id: string };
const DAY = 86_400_000;

async function setup(): Promise<TestSim & { projectId: string; mainId: string }> {
  const t = await startTestSim();
  const p = await createReadyProject(t);
  return { ...t, projectId: p.project.id, mainId: p.branch.id };
}

describe('branches', () => {
  it('creates a branch with an endpoint: create_branch then start_compute, scheduling → running → finished', async () => {
    const t = await setup();
    const res = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, {
      branch: { name: 'dev' },
      endpoints: [{ type: 'read_write' }],
      annotation_value: { intent: 'i-1' },
    });
    expect(res.status).toBe(201);
    expect(res.body.branch).toMatchObject({ name: 'dev', parent_id: t.mainId, current_state: 'init', default: false });
    expect(res.body.operations.map((o) => o.action)).toEqual(['create_branch', 'start_compute']);
    expect(res.body.roles.map((r) => r.name)).toEqual(['neondb_owner']);
    expect(res.body.connection_uris?.[0]?.connection_uri).toContain(res.body.endpoints[0]?.id ?? 'missing');
    const [createOp, startOp] = res.body.operations;
    // Operations run one after the other on the simulator clock (20 ms scheduling, 50 ms running).
    t.clock.advance(30);
    const running = await t.api.get<ResponseBody<'getProjectOperation', 200>>(`/projects/${t.projectId}/operations/${createOp?.id}`);
    expect(running.body.operation.status).toBe('running');
    t.clock.advance(50);
    const done = await t.api.get<ResponseBody<'getProjectOperation', 200>>(`/projects/${t.projectId}/operations/${createOp?.id}`);
    expect(done.body.operation.status).toBe('finished');
    const waiting = await t.api.get<ResponseBody<'getProjectOperation', 200>>(`/projects/${t.projectId}/operations/${startOp?.id}`);
    expect(waiting.body.operation.status).toBe('scheduling');
    t.clock.advance(100);
    const branch = await t.api.get<ResponseBody<'getProjectBranch', 200>>(`/projects/${t.projectId}/branches/${res.body.branch.id}`);
    expect(branch.body.branch.current_state).toBe('ready');
    expect(branch.body.annotation.value).toEqual({ intent: 'i-1' });
    const eps = await t.api.get<ResponseBody<'listProjectBranchEndpoints', 200>>(`/projects/${t.projectId}/branches/${res.body.branch.id}/endpoints`);
    expect(eps.body.endpoints.map((e) => e.current_state)).toEqual(['active']);
  });

  it('answers 423 with Neon’s message while an operation runs, and accepts the mutation after fast-forward', async () => {
    const t = await setup();
    await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'a' } });
    const blocked = await t.api.post<ErrorBody>(`/projects/${t.projectId}/branches`, { branch: { name: 'b' } });
    expect(blocked.status).toBe(423);
    expect(blocked.body).toEqual({ code: '', message: LOCKED_MESSAGE, request_id: blocked.headers.get('x-request-id') });
    // Reads are not blocked.
    expect((await t.api.get(`/projects/${t.projectId}/branches`)).status).toBe(200);
    expect(t.sim.control.fastForward()).toBe(1);
    expect((await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'b' } })).status).toBe(201);
    expect(t.sim.control.counters().byRoute['POST /projects/{project_id}/branches']).toEqual({ '201': 2, '423': 1 });
  });

  it('answers 409 for a duplicate branch name and names an unnamed branch after its id', async () => {
    const t = await setup();
    await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'dup' } });
    t.sim.control.fastForward();
    const again = await t.api.post<ErrorBody>(`/projects/${t.projectId}/branches`, { branch: { name: 'dup' } });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('branch already exists');
    const unnamed = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`);
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.branch.name).toBe(unnamed.body.branch.id);
    t.sim.control.fastForward();
    expect(t.sim.control.state().branches.filter((b) => b.name === 'dup' && b.deletedAt === undefined)).toHaveLength(1);
  });

  it('refuses to delete the default branch, a protected branch and a branch with children', async () => {
    const t = await setup();
    const main = await t.api.delete<ErrorBody>(`/projects/${t.projectId}/branches/${t.mainId}`);
    expect(main.status).toBe(422);
    expect(main.body.message).toContain('default branch');
    const prot = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, { branch: { name: 'prod', protected: true } });
    t.sim.control.fastForward();
    const protectedDelete = await t.api.delete<ErrorBody>(`/projects/${t.projectId}/branches/${prot.body.branch.id}`);
    expect(protectedDelete.status).toBe(422);
    expect(protectedDelete.body.message).toContain('protected');
    const child = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, { branch: { name: 'child', parent_id: prot.body.branch.id } });
    expect(child.body.branch.parent_id).toBe(prot.body.branch.id);
    t.sim.control.fastForward();
    await t.api.patch(`/projects/${t.projectId}/branches/${prot.body.branch.id}`, { branch: { protected: false } });
    const withChildren = await t.api.delete<ErrorBody>(`/projects/${t.projectId}/branches/${prot.body.branch.id}`);
    expect(withChildren.status).toBe(422);
  });

  it('deletes a branch with delete_timeline, then answers 204 for repeated deletes and unknown branches', async () => {
    const t = await setup();
    const b = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, { branch: { name: 'gone' }, endpoints: [{ type: 'read_write' }] });
    t.sim.control.fastForward();
    const del = await t.api.delete<ResponseBody<'deleteProjectBranch', 200>>(`/projects/${t.projectId}/branches/${b.body.branch.id}`);
    expect(del.status).toBe(200);
    expect(del.body.operations.map((o) => o.action)).toEqual(['delete_timeline']);
    // 204 even while the project is locked by the delete itself.
    expect((await t.api.delete(`/projects/${t.projectId}/branches/${b.body.branch.id}`)).status).toBe(204);
    expect((await t.api.delete(`/projects/${t.projectId}/branches/br-never-existed-12345678`)).status).toBe(204);
    expect((await t.api.get(`/projects/${t.projectId}/branches/${b.body.branch.id}`)).status).toBe(404);
    expect((await t.api.get(`/projects/${t.projectId}/endpoints/${b.body.endpoints[0]?.id}`)).status).toBe(404);
    expect((await t.api.delete('/projects/no-such-project/branches/br-x')).status).toBe(404);
  });

  it('checks expires_at: RFC 3339, future, at most 30 days, not on protected branches; null clears it', async () => {
    const t = await setup();
    const now = t.clock.now();
    const tooFar = await t.api.post<ErrorBody>(`/projects/${t.projectId}/branches`, {
      branch: { name: 'e1', expires_at: new Date(now + 31 * DAY).toISOString() },
    });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.message).toContain('30 days');
    expect((await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'e2', expires_at: new Date(now - 1000).toISOString() } })).status).toBe(400);
    expect((await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'e3', expires_at: 'tomorrow' } })).status).toBe(400);
    expect(
      (await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name: 'e4', protected: true, expires_at: new Date(now + DAY).toISOString() } })).status,
    ).toBe(400);
    const ok = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, {
      branch: { name: 'e5', expires_at: new Date(now + 30 * DAY).toISOString() },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.branch.expires_at).toBe(new Date(now + 30 * DAY).toISOString().replace('.000Z', 'Z'));
    expect(ok.body.branch.ttl_interval_seconds).toBe(30 * 86400);
    t.sim.control.fastForward();
    const onMain = await t.api.patch(`/projects/${t.projectId}/branches/${t.mainId}`, { branch: { expires_at: new Date(now + DAY).toISOString() } });
    expect(onMain.status).toBe(400);
    const cleared = await t.api.patch<ResponseBody<'updateProjectBranch', 200>>(`/projects/${t.projectId}/branches/${ok.body.branch.id}`, {
      branch: { expires_at: null, name: 'e5-renamed' },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.branch.expires_at).toBeUndefined();
    expect(cleared.body.branch.name).toBe('e5-renamed');
  });

  it('enforces the branch limit per project', async () => {
    const t = await startTestSim({ branchesPerProject: 2 });
    const p = await createReadyProject(t);
    expect((await t.api.post(`/projects/${p.project.id}/branches`, { branch: { name: 'one' } })).status).toBe(201);
    t.sim.control.fastForward();
    const over = await t.api.post<ErrorBody>(`/projects/${p.project.id}/branches`, { branch: { name: 'two' } });
    expect(over.status).toBe(422);
    expect(over.body.message).toContain('limit');
  });

  it('lists branches with search, sorting and cursor pagination', async () => {
    const t = await setup();
    for (const name of ['b1', 'b2', 'b3']) {
      await t.api.post(`/projects/${t.projectId}/branches`, { branch: { name } });
      t.sim.control.fastForward();
      t.clock.advance(1000);
    }
    const page1 = await t.api.get<ResponseBody<'listProjectBranches', 200>>(`/projects/${t.projectId}/branches?limit=2&sort_by=name&sort_order=asc`);
    expect(page1.body.branches.map((b) => b.name)).toEqual(['b1', 'b2']);
    expect(Object.keys(page1.body.annotations)).toHaveLength(2);
    const next = page1.body.pagination?.next ?? '';
    const page2 = await t.api.get<ResponseBody<'listProjectBranches', 200>>(`/projects/${t.projectId}/branches?limit=2&sort_by=name&sort_order=asc&cursor=${next}`);
    expect(page2.body.branches.map((b) => b.name)).toEqual(['b3', 'main']);
    expect(page2.body.pagination?.next).toBeUndefined();
    const search = await t.api.get<ResponseBody<'listProjectBranches', 200>>(`/projects/${t.projectId}/branches?search=b2`);
    expect(search.body.branches.map((b) => b.name)).toEqual(['b2']);
    const count = await t.api.get<ResponseBody<'countProjectBranches', 200>>(`/projects/${t.projectId}/branches/count`);
    expect(count.body.count).toBe(4);
  });

  it('restores a branch from its parent, preserving the old state under a new name', async () => {
    const t = await setup();
    const dev = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, { branch: { name: 'dev' } });
    t.sim.control.fastForward();
    const missingPreserve = await t.api.post(`/projects/${t.projectId}/branches/${dev.body.branch.id}/restore`, {
      source_branch_id: dev.body.branch.id,
      source_timestamp: new Date(t.clock.now() - 1000).toISOString(),
    });
    expect(missingPreserve.status).toBe(400);
    const restored = await t.api.post<ResponseBody<'restoreProjectBranch', 200>>(`/projects/${t.projectId}/branches/${dev.body.branch.id}/restore`, {
      source_branch_id: t.mainId,
      preserve_under_name: 'dev-old',
    });
    expect(restored.status).toBe(200);
    expect(restored.body.branch.current_state).toBe('resetting');
    expect(restored.body.branch.last_reset_at).toBeDefined();
    expect(restored.body.operations.map((o) => o.action)).toEqual(['create_timeline']);
    t.sim.control.fastForward();
    const list = await t.api.get<ResponseBody<'listProjectBranches', 200>>(`/projects/${t.projectId}/branches`);
    expect(list.body.branches.map((b) => b.name).sort()).toEqual(['dev', 'dev-old', 'main']);
    expect(list.body.branches.find((b) => b.name === 'dev')?.current_state).toBe('ready');
  });

  it('deletes a branch once its expires_at has passed on the clock', async () => {
    const t = await setup();
    const b = await t.api.post<CreatedBranch>(`/projects/${t.projectId}/branches`, {
      branch: { name: 'temp', expires_at: new Date(t.clock.now() + 3_600_000).toISOString() },
      endpoints: [{ type: 'read_write' }],
    });
    t.sim.control.fastForward();
    t.clock.advance(3_599_000);
    expect((await t.api.get(`/projects/${t.projectId}/branches/${b.body.branch.id}`)).status).toBe(200);
    t.clock.advance(2_000);
    expect((await t.api.get(`/projects/${t.projectId}/branches/${b.body.branch.id}`)).status).toBe(404);
    expect((await t.api.get(`/projects/${t.projectId}/endpoints/${b.body.endpoints[0]?.id}`)).status).toBe(404);
  });
});
