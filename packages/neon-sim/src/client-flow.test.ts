import {
  createNeonClient,
  NeonConflictError,
  NeonConnectionError,
  NeonNotFoundError,
  NeonOperationFailedError,
  type NeonClient,
} from '@neonops/neon-client';
import { describe, expect, it } from 'vitest';
import type { NeonSimulatorOptions } from './options.js';
import { conformingFetch } from './test/conforming-fetch.js';
import { startTestSim, type TestSim } from './test/harness.js';

/**
 * The real client against the simulator over HTTP. The client's sleep advances the
 * simulator's manual clock, so polling and backoff move operations forward without waiting.
 */
async function clientAndSim(options: NeonSimulatorOptions = {}): Promise<TestSim & { neon: NeonClient; violations: string[] }> {
  const t = await startTestSim(options);
  const violations: string[] = [];
  const neon = createNeonClient({
    apiKey: t.sim.apiKey,
    baseUrl: t.sim.url,
    fetch: conformingFetch(violations),
    sleep: async (ms) => t.clock.advance(ms),
    now: () => t.clock.now(),
    random: () => 0.5,
  });
  return { ...t, neon, violations };
}

const ids = (ops: Array<{ id: string }>) => ops.map((o) => o.id);

describe('@neonops/neon-client against the simulator', () => {
  it('runs a whole flow: project, branch with endpoint, connection URI, database, role, suspend/start, delete', async () => {
    const { neon, violations, sim } = await clientAndSim();
    const created = await neon.createProject({ project: { name: 'flow' } });
    const projectId = created.project.id;
    await neon.waitForOperations(projectId, ids(created.operations), { pollIntervalMs: 20 });

    const { branch, endpoints, operations } = await neon.createBranch(projectId, {
      branch: { name: 'pr-42' },
      endpoints: [{ type: 'read_write' }],
      annotation_value: { 'neonops-intent': 'intent-1' },
    });
    const done = await neon.waitForOperations(projectId, ids(operations), { pollIntervalMs: 20 });
    expect(done.map((o) => o.status)).toEqual(['finished', 'finished']);
    const endpointId = endpoints[0]?.id ?? '';
    expect((await neon.getBranch(projectId, branch.id)).branch.current_state).toBe('ready');

    const { uri } = await neon.getConnectionUri(projectId, { database_name: 'neondb', role_name: 'neondb_owner', branch_id: branch.id });
    expect(uri).toMatch(new RegExp(`^postgresql://neondb_owner:[^@]+@${endpointId}\\.us-east-2\\.aws\\.neon\\.tech/neondb\\?sslmode=require$`));

    const db = await neon.createDatabase(projectId, branch.id, { database: { name: 'app', owner_name: 'neondb_owner' } });
    await neon.waitForOperations(projectId, ids(db.operations), { pollIntervalMs: 20 });
    const role = await neon.createRole(projectId, branch.id, { role: { name: 'app_user' } });
    expect(role.role.password).toBeTruthy();
    await neon.waitForOperations(projectId, ids(role.operations), { pollIntervalMs: 20 });
    expect((await neon.listDatabases(projectId, branch.id)).databases.map((d) => d.name).sort()).toEqual(['app', 'neondb']);

    const dbDeleted = await neon.deleteDatabase(projectId, branch.id, 'app');
    await neon.waitForOperations(projectId, ids(dbDeleted?.operations ?? []), { pollIntervalMs: 20 });
    const roleDeleted = await neon.deleteRole(projectId, branch.id, 'app_user');
    await neon.waitForOperations(projectId, ids(roleDeleted?.operations ?? []), { pollIntervalMs: 20 });
    expect((await neon.listRoles(projectId, branch.id)).roles.map((r) => r.name)).toEqual(['neondb_owner']);

    const suspended = await neon.suspendEndpoint(projectId, endpointId);
    await neon.waitForOperations(projectId, ids(suspended.operations), { pollIntervalMs: 20 });
    expect((await neon.getEndpoint(projectId, endpointId)).endpoint.current_state).toBe('idle');
    const started = await neon.startEndpoint(projectId, endpointId);
    await neon.waitForOperations(projectId, ids(started.operations), { pollIntervalMs: 20 });
    expect((await neon.getEndpoint(projectId, endpointId)).endpoint.current_state).toBe('active');

    const branches: string[] = [];
    for await (const b of neon.listBranches(projectId, { limit: 1 })) branches.push(b.name);
    expect(branches.sort()).toEqual(['main', 'pr-42']);

    const deleted = await neon.deleteBranch(projectId, branch.id);
    await neon.waitForOperations(projectId, ids(deleted?.operations ?? []), { pollIntervalMs: 20 });
    await expect(neon.getBranch(projectId, branch.id)).rejects.toBeInstanceOf(NeonNotFoundError);
    expect(await neon.deleteBranch(projectId, branch.id)).toBeUndefined();

    expect(violations).toEqual([]);
    expect(sim.control.counters().byStatus['500']).toBeUndefined();
  });

  it('retries 423 while operations run and 429 after Retry-After, as the client promises', async () => {
    const { neon, violations, sim } = await clientAndSim({ rateLimit: { perRoutePerSecond: 1 } });
    const created = await neon.createProject({ project: {} });
    // No wait: the next mutation meets the running create_timeline/start_compute and is retried.
    const branch = await neon.createBranch(created.project.id, { branch: { name: 'eager' } });
    expect(branch.branch.name).toBe('eager');
    const counts = sim.control.counters().byRoute['POST /projects/{project_id}/branches'] ?? {};
    expect(counts['423']).toBeGreaterThan(0);
    expect(counts['201']).toBe(1);
    await neon.getProject(created.project.id);
    await neon.getProject(created.project.id);
    expect(sim.control.counters().byRoute['GET /projects/{project_id}']).toMatchObject({ '200': 2, '429': 1 });
    expect(violations).toEqual([]);
  });

  it('reports a lost response as outcome unknown, and the mutation as applied', async () => {
    const { neon, sim } = await clientAndSim();
    const created = await neon.createProject({ project: {} });
    await neon.waitForOperations(created.project.id, ids(created.operations), { pollIntervalMs: 20 });
    sim.control.setFaults([{ route: 'POST /projects/{project_id}/branches', kind: 'lost-response', times: 1 }]);
    const err = await neon.createBranch(created.project.id, { branch: { name: 'lost' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonConnectionError);
    expect((err as NeonConnectionError).outcomeUnknown).toBe(true);
    sim.control.fastForward();
    await expect(neon.createBranch(created.project.id, { branch: { name: 'lost' } })).rejects.toBeInstanceOf(NeonConflictError);
    expect(sim.control.state().branches.filter((b) => b.name === 'lost')).toHaveLength(1);
  });

  it('surfaces a failed operation with its error text', async () => {
    const { neon } = await clientAndSim({ operations: { failureRate: 1 } });
    const created = await neon.createProject({ project: {} });
    const err = await neon.waitForOperations(created.project.id, ids(created.operations), { pollIntervalMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonOperationFailedError);
    expect(String((err as Error).message)).toContain('simulated failure');
  });
});
