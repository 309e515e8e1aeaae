import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

describe('databases', () => {
  it('creates, lists, renames and deletes a database; 409 for a duplicate, 204 for repeated deletes', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/branches/${p.branch.id}/databases`;
    const created = await t.api.post<ResponseBody<'createProjectBranchDatabase', 201>>(base, { database: { name: 'app', owner_name: 'neondb_owner' } });
    expect(created.status).toBe(201);
    expect(created.body.database).toMatchObject({ name: 'app', owner_name: 'neondb_owner', branch_id: p.branch.id });
    expect(created.body.operations.map((o) => o.action)).toEqual(['apply_config']);
    expect((await t.api.post(base, { database: { name: 'other', owner_name: 'neondb_owner' } })).status).toBe(423);
    t.sim.control.fastForward();
    expect((await t.api.post(base, { database: { name: 'app', owner_name: 'neondb_owner' } })).status).toBe(409);
    expect((await t.api.post(base, { database: { name: 'x', owner_name: 'nobody' } })).status).toBe(400);
    expect((await t.api.post(base, { database: { name: 'x' } })).status).toBe(400);
    const list = await t.api.get<ResponseBody<'listProjectBranchDatabases', 200>>(base);
    expect(list.body.databases.map((d) => d.name).sort()).toEqual(['app', 'neondb']);
    const renamed = await t.api.patch<ResponseBody<'updateProjectBranchDatabase', 200>>(`${base}/app`, { database: { name: 'app2' } });
    expect(renamed.body.database.name).toBe('app2');
    t.sim.control.fastForward();
    expect((await t.api.get(`${base}/app`)).status).toBe(404);
    expect((await t.api.get<ResponseBody<'getProjectBranchDatabase', 200>>(`${base}/app2`)).body.database.name).toBe('app2');
    expect((await t.api.delete(`${base}/app2`)).status).toBe(200);
    expect((await t.api.delete(`${base}/app2`)).status).toBe(204);
    expect((await t.api.delete(`${base}/never`)).status).toBe(204);
  });
});

describe('roles', () => {
  it('creates a role (password shown once), reveals and resets its password, deletes it; 204 when repeated', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/branches/${p.branch.id}/roles`;
    const created = await t.api.post<ResponseBody<'createProjectBranchRole', 201>>(base, { role: { name: 'app_user' } });
    expect(created.status).toBe(201);
    const password = created.body.role.password ?? '';
    expect(password).toMatch(/^npg_/);
    t.sim.control.fastForward();
    expect((await t.api.post(base, { role: { name: 'app_user' } })).status).toBe(409);
    const got = await t.api.get<ResponseBody<'getProjectBranchRole', 200>>(`${base}/app_user`);
    expect(got.body.role.password).toBeUndefined();
    const reveal = await t.api.get<ResponseBody<'getProjectBranchRolePassword', 200>>(`${base}/app_user/reveal_password`);
    expect(reveal.body.password).toBe(password);
    const reset = await t.api.post<ResponseBody<'resetProjectBranchRolePassword', 200>>(`${base}/app_user/reset_password`);
    expect(reset.status).toBe(200);
    expect(reset.body.role.password).not.toBe(password);
    t.sim.control.fastForward();
    const uri = await t.api.get<ResponseBody<'getConnectionURI', 200>>(`/projects/${p.project.id}/connection_uri?database_name=neondb&role_name=app_user`);
    expect(uri.body.uri).toContain(`app_user:${reset.body.role.password}@`);
    const list = await t.api.get<ResponseBody<'listProjectBranchRoles', 200>>(base);
    expect(list.body.roles.map((r) => r.name).sort()).toEqual(['app_user', 'neondb_owner']);
    // A role that owns a database cannot go.
    expect((await t.api.delete(`${base}/neondb_owner`)).status).toBe(422);
    expect((await t.api.delete(`${base}/app_user`)).status).toBe(200);
    expect((await t.api.delete(`${base}/app_user`)).status).toBe(204);
    expect((await t.api.get(`${base}/app_user/reveal_password`)).status).toBe(404);
  });

  it('copies roles with their passwords to child branches', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const child = await t.api.post<ResponseBody<'createProjectBranch', 201>>(`/projects/${p.project.id}/branches`, { branch: { name: 'c' } });
    t.sim.control.fastForward();
    const reveal = await t.api.get<ResponseBody<'getProjectBranchRolePassword', 200>>(
      `/projects/${p.project.id}/branches/${child.body.branch.id}/roles/neondb_owner/reveal_password`,
    );
    expect(reveal.body.password).toBe(p.roles[0]?.password);
  });
});
