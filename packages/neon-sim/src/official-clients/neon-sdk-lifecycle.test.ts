import { NeonApiError, NeonNotFoundError, NeonOperationError, raw } from '@neon/sdk';
import { describe, expect, it } from 'vitest';
import { sdkAndSim } from '../test/official-clients.js';

/** The error of a call made with `{ throwOnError: false }`, which must have failed with an HTTP status. */
function apiError(result: { error?: unknown }): NeonApiError {
  if (!(result.error instanceof NeonApiError)) throw new Error(`expected a NeonApiError, got ${String(result.error)}`);
  return result.error;
}

const quiet = { throwOnError: false } as const;

describe('@neon/sdk against the simulator: the resource lifecycle', () => {
  it('projects, branches, roles, databases, endpoints, operations and deletes, with the SDK waiting for every operation', async () => {
    const { neon, violations, sim } = await sdkAndSim();

    // projects.create waits for create_timeline + start_compute by polling GET …/operations/{id}.
    const project = await neon.projects.create({ name: 'official-sdk' });
    const projectId = project.id;
    expect((await neon.operations.list({ projectId }).all()).map((o) => [o.action, o.status])).toEqual([
      ['start_compute', 'finished'],
      ['create_timeline', 'finished'],
    ]);
    expect((await neon.projects.list().all()).map((p) => p.id)).toEqual([projectId]);
    // The SDK wraps no method around GET /projects/shared; its raw layer has it.
    const shared = await raw.listSharedProjects({ client: neon.client });
    expect(shared.error).toBeUndefined();
    expect(shared.data?.projects).toEqual([]);
    expect((await neon.projects.get({ projectId })).name).toBe('official-sdk');
    expect((await neon.projects.update({ projectId, name: 'renamed' })).name).toBe('renamed');
    const main = await neon.branches.getDefault({ projectId });
    expect(main.name).toBe('main');

    // branches.create adds a read_write compute and waits for create_branch + start_compute.
    const branch = await neon.branches.create({ projectId, name: 'feature' });
    const branchId = branch.id;
    expect((await neon.branches.get({ projectId, branchId })).current_state).toBe('ready');
    expect(apiError(await neon.branches.create({ projectId, name: 'feature' }, quiet)).status).toBe(409);
    expect((await neon.branches.list({ projectId }).all()).map((b) => b.name).sort()).toEqual(['feature', 'main']);
    expect((await neon.branches.update({ projectId, branchId, name: 'feature-1' })).name).toBe('feature-1');
    const [compute] = await neon.postgres.endpoints.listByBranch({ projectId, branchId });
    expect(compute).toMatchObject({ type: 'read_write', current_state: 'active' });
    const computeId = compute?.id ?? '';

    // Roles and databases.
    const role = await neon.postgres.roles.create({ projectId, branchId, name: 'app_user' });
    const firstPassword = role.password ?? '';
    expect(firstPassword).toMatch(/^\S{8,}$/);
    await neon.postgres.databases.create({ projectId, branchId, name: 'app', owner_name: 'app_user' });
    expect((await neon.postgres.databases.update({ projectId, branchId, databaseName: 'app', name: 'app2' })).name).toBe('app2');
    expect((await neon.postgres.databases.list({ projectId, branchId })).map((d) => d.name).sort()).toEqual(['app2', 'neondb']);
    expect((await neon.postgres.databases.get({ projectId, branchId, databaseName: 'app2' })).owner_name).toBe('app_user');
    expect((await neon.postgres.roles.list({ projectId, branchId })).map((r) => r.name).sort()).toEqual(['app_user', 'neondb_owner']);
    expect((await neon.postgres.roles.get({ projectId, branchId, roleName: 'app_user' })).name).toBe('app_user');
    expect(await neon.postgres.roles.password({ projectId, branchId, roleName: 'app_user' })).toBe(firstPassword);
    const reset = await neon.postgres.roles.resetPassword({ projectId, branchId, roleName: 'app_user' });
    expect(reset.password).not.toBe(firstPassword);
    expect(await neon.postgres.roles.password({ projectId, branchId, roleName: 'app_user' })).toBe(reset.password);
    const uri = await neon.postgres.connectionString({ projectId, branchId, databaseName: 'app2', roleName: 'app_user', pooled: false });
    expect(uri).toBe(`postgresql://app_user:${reset.password}@${computeId}.us-east-2.aws.neon.tech/app2?sslmode=require`);

    // Endpoints: a read-only compute, then suspend / start / restart.
    const readOnly = await neon.postgres.endpoints.create({ projectId, branch_id: branchId, type: 'read_only' });
    expect((await neon.postgres.endpoints.get({ projectId, endpointId: readOnly.id })).current_state).toBe('active');
    expect(await neon.postgres.endpoints.list({ projectId })).toHaveLength(3);
    const updated = await neon.postgres.endpoints.update({ projectId, endpointId: readOnly.id, suspend_timeout_seconds: 600 });
    expect(updated.suspend_timeout_seconds).toBe(600);
    for (const [step, state] of [['suspend', 'idle'], ['start', 'active'], ['restart', 'active']] as const) {
      await neon.postgres.endpoints[step]({ projectId, endpointId: readOnly.id });
      expect((await neon.postgres.endpoints.get({ projectId, endpointId: readOnly.id })).current_state, step).toBe(state);
    }
    const operations = await neon.operations.list({ projectId }).all();
    expect(operations.slice(0, 4).map((o) => o.action)).toEqual(['start_compute', 'suspend_compute', 'start_compute', 'suspend_compute']);
    expect(operations.every((o) => o.status === 'finished')).toBe(true);
    const newest = operations[0];
    expect(await neon.operations.get({ projectId, operationId: newest?.id ?? '' })).toEqual(newest);

    // Default branch, reset from parent (POST …/restore), deletes.
    expect((await neon.branches.setDefault({ projectId, branchId })).default).toBe(true);
    expect(apiError(await neon.branches.delete({ projectId, branchId }, quiet)).status).toBe(422);
    await neon.branches.setDefault({ projectId, branchId: main.id });
    const resetBranch = await neon.branches.resetFromParent({ projectId, branchId });
    expect(resetBranch.parent_id).toBe(main.id);
    expect((await neon.postgres.roles.list({ projectId, branchId })).map((r) => r.name)).toEqual(['neondb_owner']);

    await neon.postgres.endpoints.delete({ projectId, endpointId: readOnly.id });
    expect((await neon.postgres.endpoints.get({ projectId, endpointId: readOnly.id }, quiet)).error).toBeInstanceOf(NeonNotFoundError);
    await neon.postgres.databases.delete({ projectId, branchId, databaseName: 'neondb' });
    await neon.postgres.roles.delete({ projectId, branchId, roleName: 'neondb_owner' });
    await neon.branches.delete({ projectId, branchId });
    // A second delete of the same branch is a 204, which the SDK reports as success.
    expect(await neon.branches.delete({ projectId, branchId }, quiet)).toEqual({ data: undefined, error: undefined });
    expect((await neon.branches.get({ projectId, branchId }, quiet)).error).toBeInstanceOf(NeonNotFoundError);
    expect((await neon.projects.delete({ projectId })).id).toBe(projectId);
    expect(apiError(await neon.projects.get({ projectId }, quiet)).status).toBe(404);

    expect(violations).toEqual([]);
    const counters = sim.control.counters();
    expect(counters.byStatus['415']).toBeUndefined();
    expect(counters.byStatus['500']).toBeUndefined();
    expect(counters.byStatus['423']).toBeUndefined(); // the SDK waited for every operation before the next mutation
  });

  it('runs the create-and-connect workflows, whose connection strings come from the create answers', async () => {
    const { neon, violations, sim } = await sdkAndSim();
    const { project, connectionString } = await neon.projects.createAndConnect({ name: 'connected' });
    const [rw] = await neon.postgres.endpoints.list({ projectId: project.id });
    const password = await neon.postgres.roles.password({ projectId: project.id, branchId: rw?.branch_id ?? '', roleName: 'neondb_owner' });
    expect(connectionString).toBe(`postgresql://neondb_owner:${password}@${rw?.id}-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require`);
    // Auto-selection: the default branch, its only role and its only database.
    expect(await neon.postgres.connectionString({ projectId: project.id })).toBe(connectionString);

    const made = await neon.branches.createAndConnect({ projectId: project.id, name: 'preview', compute: { minCu: 0.5, maxCu: 1 } });
    expect(made.endpoint).toMatchObject({ branch_id: made.branch.id, autoscaling_limit_min_cu: 0.5, autoscaling_limit_max_cu: 1 });
    expect(made.connectionString).toMatch(new RegExp(`^postgresql://neondb_owner:[^@]+@${made.endpoint.id}-pooler\\.`));
    // The SDK waited for both operations of the branch before returning.
    expect((await neon.branches.get({ projectId: project.id, branchId: made.branch.id })).current_state).toBe('ready');
    const error = apiError(await neon.projects.get({ projectId: 'no-such-project' }, quiet));
    expect(error.status).toBe(404);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(violations).toEqual([]);
    expect(sim.control.counters().byStatus['423']).toBeUndefined();
  });

  it('reports an operation that failed as NeonOperationError, with the rest of its batch cancelled', async () => {
    const { neon, violations } = await sdkAndSim({ operations: { failureRate: 1 } });
    const result = await neon.projects.create({ name: 'doomed' }, quiet);
    expect(result.error).toBeInstanceOf(NeonOperationError);
    const error = result.error as NeonOperationError;
    expect(error.status).toBe('failed');
    expect(error.message).toContain('create_timeline');
    const [project] = await neon.projects.list().all();
    const operations = await neon.operations.list({ projectId: project?.id ?? '' }).all();
    expect(operations.map((o) => [o.action, o.status])).toEqual([
      ['start_compute', 'cancelled'],
      ['create_timeline', 'failed'],
    ]);
    expect(operations.find((o) => o.id === error.operationId)?.error).toContain('simulated failure');
    expect(violations).toEqual([]);
  });
});
