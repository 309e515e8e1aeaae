import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

describe('current user, permissions, default branch', () => {
  it('describes the simulated account', async () => {
    const t = await startTestSim();
    const me = await t.api.get<ResponseBody<'getCurrentUserInfo', 200>>('/users/me');
    expect(me.status).toBe(200);
    expect(me.body.plan).toBe('scale');
  });

  it('grants, lists and revokes project permissions', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/permissions`;
    const granted = await t.api.post<ResponseBody<'grantPermissionToProject', 200>>(base, { email: 'dev@example.com' });
    expect(granted.body.granted_to_email).toBe('dev@example.com');
    expect((await t.api.post(base, { email: 'not-an-email' })).status).toBe(400);
    const list = await t.api.get<ResponseBody<'listProjectPermissions', 200>>(base);
    expect(list.body.project_permissions.map((x) => x.id)).toEqual([granted.body.id]);
    const revoked = await t.api.delete<ResponseBody<'revokePermissionFromProject', 200>>(`${base}/${granted.body.id}`);
    expect(revoked.body.revoked_at).toBeDefined();
    expect((await t.api.get<ResponseBody<'listProjectPermissions', 200>>(base)).body.project_permissions).toEqual([]);
    expect((await t.api.delete(`${base}/nope`)).status).toBe(404);
  });

  it('moves the default to another branch', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const dev = await t.api.post<ResponseBody<'createProjectBranch', 201>>(`/projects/${p.project.id}/branches`, { branch: { name: 'dev' } });
    t.sim.control.fastForward();
    const res = await t.api.post<ResponseBody<'setDefaultProjectBranch', 200>>(`/projects/${p.project.id}/branches/${dev.body.branch.id}/set_as_default`);
    expect(res.body.branch.default).toBe(true);
    const main = await t.api.get<ResponseBody<'getProjectBranch', 200>>(`/projects/${p.project.id}/branches/${p.branch.id}`);
    expect(main.body.branch.default).toBe(false);
    // The old default can now be deleted; the new one cannot.
    expect((await t.api.delete(`/projects/${p.project.id}/branches/${dev.body.branch.id}`)).status).toBe(422);
  });
});
