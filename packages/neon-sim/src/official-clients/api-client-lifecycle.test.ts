import { EndpointType, type Operation } from '@neondatabase/api-client';
import { describe, expect, it } from 'vitest';
import { apiClientAndSim, httpFailure } from '../test/official-clients.js';

type ApiClient = Awaited<ReturnType<typeof apiClientAndSim>>['client'];

/**
 * Polls each operation with the client's own `getProjectOperation` until it is terminal and
 * returns the final states. Each poll moves the simulator's clock (see official-clients.ts).
 */
async function settle(client: ApiClient, projectId: string, operations: Operation[]): Promise<string[]> {
  const final: string[] = [];
  for (const op of operations) {
    let status: string = op.status;
    for (let polls = 0; !['finished', 'skipped', 'failed', 'error', 'cancelled'].includes(status); polls++) {
      if (polls > 50) throw new Error(`operation ${op.action} still ${status} after 50 polls`);
      status = (await client.getProjectOperation(projectId, op.id)).data.operation.status;
    }
    final.push(status);
  }
  return final;
}

describe('@neondatabase/api-client against the simulator: the resource lifecycle', () => {
  it('projects, branches, roles, databases, endpoints, operations and deletes, every answer as Neon documents', async () => {
    const { client, violations, sim } = await apiClientAndSim();

    const created = await client.createProject({ project: { name: 'official-api-client' } });
    expect(created.status).toBe(201);
    const projectId = created.data.project.id;
    const mainId = created.data.branch.id;
    expect(created.data.operations.map((o) => o.action)).toEqual(['create_timeline', 'start_compute']);
    expect(await settle(client, projectId, created.data.operations)).toEqual(['finished', 'finished']);

    const listed = await client.listProjects({ limit: 10 });
    expect(listed.data.projects.map((p) => p.id)).toEqual([projectId]);
    expect((await client.listSharedProjects({})).data.projects).toEqual([]);
    expect((await client.getProject(projectId)).data.project.name).toBe('official-api-client');
    expect((await client.updateProject(projectId, { project: { name: 'renamed' } })).data.project.name).toBe('renamed');

    // Branches: create with a compute; a second mutation while its operations run is locked (423).
    const branched = await client.createProjectBranch(projectId, { branch: { name: 'feature' }, endpoints: [{ type: EndpointType.ReadWrite }] });
    expect(branched.status).toBe(201);
    const branchId = branched.data.branch.id;
    const locked = await httpFailure(client.createProjectBranch(projectId, { branch: { name: 'too-early' } }));
    expect(locked.status).toBe(423);
    expect(locked.data).toMatchObject({ code: '', message: expect.stringContaining('conflicting operations') });
    expect(await settle(client, projectId, branched.data.operations)).toEqual(['finished', 'finished']);
    expect((await httpFailure(client.createProjectBranch(projectId, { branch: { name: 'feature' } }))).status).toBe(409);
    const firstBranches = await client.listProjectBranches({ projectId, limit: 1, sort_by: 'name', sort_order: 'asc' });
    expect(firstBranches.data.branches.map((b) => b.name)).toEqual(['feature']);
    const next = firstBranches.data.pagination?.next ?? '';
    const secondBranches = await client.listProjectBranches({ projectId, limit: 1, sort_by: 'name', sort_order: 'asc', cursor: next });
    expect(secondBranches.data.branches.map((b) => b.name)).toEqual(['main']);
    expect((await client.getProjectBranch(projectId, branchId)).data.branch).toMatchObject({ current_state: 'ready', parent_id: mainId });
    expect((await client.updateProjectBranch(projectId, branchId, { branch: { name: 'feature-1' } })).data.branch.name).toBe('feature-1');
    const branchEndpoints = await client.listProjectBranchEndpoints(projectId, branchId);
    expect(branchEndpoints.data.endpoints.map((e) => e.id)).toEqual([branched.data.endpoints[0]?.id]);

    // Roles and databases on the new branch.
    const role = await client.createProjectBranchRole(projectId, branchId, { role: { name: 'app_user' } });
    expect(role.status).toBe(201);
    const firstPassword = role.data.role.password;
    expect(firstPassword).toMatch(/^\S{8,}$/);
    await settle(client, projectId, role.data.operations);
    const database = await client.createProjectBranchDatabase(projectId, branchId, { database: { name: 'app', owner_name: 'app_user' } });
    expect(database.status).toBe(201);
    await settle(client, projectId, database.data.operations);
    const renamed = await client.updateProjectBranchDatabase(projectId, branchId, 'app', { database: { name: 'app2' } });
    expect(renamed.data.database.name).toBe('app2');
    await settle(client, projectId, renamed.data.operations);
    expect((await client.listProjectBranchDatabases(projectId, branchId)).data.databases.map((d) => d.name).sort()).toEqual(['app2', 'neondb']);
    expect((await client.getProjectBranchDatabase(projectId, branchId, 'app2')).data.database.owner_name).toBe('app_user');
    expect((await client.listProjectBranchRoles(projectId, branchId)).data.roles.map((r) => r.name).sort()).toEqual(['app_user', 'neondb_owner']);
    expect((await client.getProjectBranchRole(projectId, branchId, 'app_user')).data.role.name).toBe('app_user');
    expect((await client.getProjectBranchRolePassword(projectId, branchId, 'app_user')).data.password).toBe(firstPassword);

    // A body-less POST: axios sends it with `Content-Type: application/x-www-form-urlencoded`.
    const reset = await client.resetProjectBranchRolePassword(projectId, branchId, 'app_user');
    expect(reset.status).toBe(200);
    const secondPassword = reset.data.role.password ?? '';
    expect(secondPassword).not.toBe(firstPassword);
    await settle(client, projectId, reset.data.operations);
    expect((await client.getProjectBranchRolePassword(projectId, branchId, 'app_user')).data.password).toBe(secondPassword);
    const uri = await client.getConnectionUri({ projectId, branch_id: branchId, database_name: 'app2', role_name: 'app_user', pooled: true });
    expect(uri.data.uri).toBe(`postgresql://app_user:${secondPassword}@${branched.data.endpoints[0]?.id}-pooler.us-east-2.aws.neon.tech/app2?sslmode=require`);

    // Endpoints: a read-only compute, then suspend / start / restart (all body-less POSTs).
    const readOnly = await client.createProjectEndpoint(projectId, { endpoint: { branch_id: branchId, type: EndpointType.ReadOnly } });
    expect(readOnly.status).toBe(201);
    const endpointId = readOnly.data.endpoint.id;
    await settle(client, projectId, readOnly.data.operations);
    expect((await client.listProjectEndpoints(projectId)).data.endpoints).toHaveLength(3);
    const updated = await client.updateProjectEndpoint(projectId, endpointId, { endpoint: { suspend_timeout_seconds: 600 } });
    expect(updated.data.endpoint.suspend_timeout_seconds).toBe(600);
    await settle(client, projectId, updated.data.operations);
    const lifecycle = [
      ['suspend', () => client.suspendProjectEndpoint(projectId, endpointId), ['suspend_compute'], 'idle'],
      ['start', () => client.startProjectEndpoint(projectId, endpointId), ['start_compute'], 'active'],
      ['restart', () => client.restartProjectEndpoint(projectId, endpointId), ['suspend_compute', 'start_compute'], 'active'],
    ] as const;
    for (const [name, call, actions, state] of lifecycle) {
      const res = await call();
      expect(res.status, name).toBe(200);
      expect(res.data.operations.map((o) => o.action), name).toEqual(actions);
      expect(res.data.operations.every((o) => o.endpoint_id === endpointId), name).toBe(true);
      await settle(client, projectId, res.data.operations);
      expect((await client.getProjectEndpoint(projectId, endpointId)).data.endpoint.current_state, name).toBe(state);
    }

    // Operations: newest first, cursor pagination, single get.
    const firstPage = await client.listProjectOperations({ projectId, limit: 3 });
    expect(firstPage.data.operations).toHaveLength(3);
    expect(firstPage.data.operations[0]?.action).toBe('start_compute');
    const cursor = firstPage.data.pagination?.cursor ?? '';
    const secondPage = await client.listProjectOperations({ projectId, limit: 3, cursor });
    expect(secondPage.data.operations.map((o) => o.id)).not.toContain(firstPage.data.operations[0]?.id);
    const one = await client.getProjectOperation(projectId, cursor);
    expect(one.data.operation).toMatchObject({ id: cursor, status: 'finished' });

    // Default branch and restore (both body-bearing or body-less POSTs).
    const madeDefault = await client.setDefaultProjectBranch(projectId, branchId);
    expect(madeDefault.data.branch.default).toBe(true);
    expect((await httpFailure(client.deleteProjectBranch({ projectId, branchId }))).status).toBe(422);
    await client.setDefaultProjectBranch(projectId, mainId);
    const restored = await client.restoreProjectBranch(projectId, branchId, { source_branch_id: mainId });
    expect(restored.data.branch).toMatchObject({ current_state: 'resetting', parent_id: mainId });
    await settle(client, projectId, restored.data.operations);
    expect((await client.listProjectBranchRoles(projectId, branchId)).data.roles.map((r) => r.name)).toEqual(['neondb_owner']);

    // Deletes: 200 with operations, 204 once gone, 404 on read.
    await settle(client, projectId, (await client.deleteProjectEndpoint(projectId, endpointId)).data.operations);
    expect((await httpFailure(client.getProjectEndpoint(projectId, endpointId))).status).toBe(404);
    await settle(client, projectId, (await client.deleteProjectBranchDatabase(projectId, branchId, 'neondb')).data.operations);
    await settle(client, projectId, (await client.deleteProjectBranchRole(projectId, branchId, 'neondb_owner')).data.operations);
    const deleted = await client.deleteProjectBranch({ projectId, branchId });
    expect(deleted.status).toBe(200);
    await settle(client, projectId, deleted.data.operations);
    expect((await client.deleteProjectBranch({ projectId, branchId })).status).toBe(204);
    expect((await httpFailure(client.getProjectBranch(projectId, branchId))).status).toBe(404);
    // No body at all: axios sends `Content-Type: application/json` with an empty body.
    const bare = await client.createProjectBranch(projectId);
    expect(bare.status).toBe(201);
    expect(bare.data.branch).toMatchObject({ name: bare.data.branch.id, parent_id: mainId });
    expect(bare.data.endpoints).toEqual([]);
    await settle(client, projectId, bare.data.operations);
    expect((await client.deleteProject(projectId)).data.project.id).toBe(projectId);
    expect((await httpFailure(client.getProject(projectId))).status).toBe(404);

    expect(violations).toEqual([]);
    expect(sim.control.counters().byStatus['415']).toBeUndefined();
    expect(sim.control.counters().byStatus['500']).toBeUndefined();
  });
});
