import { PullRequestStates, secretContext, type IntentKind, type IntentRecord } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { neonPriorMs } from './engine/operation-priors.js';
import { branchSummary, databaseSummary, endpointSummary, projectSummary, roleSummary } from './handlers/summaries.js';
import { startHarness, type Harness } from './test/harness.js';

/**
 * Neon calls per intent, counted exactly by the simulator (every `/api/v2` request it
 * answered): the floor is the mutation plus one poll of its operations once the batch's
 * duration is known, and the result is built from the response, not read back. A change
 * that adds a call fails here, not only in the bench.
 */

/** Requests per route since the counters were last reset (any status). */
function calls(h: Harness): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, statuses] of Object.entries(h.sim.control.counters().byRoute)) {
    out[route.replace('/projects/{project_id}', '…')] = Object.values(statuses).reduce((a, b) => a + b, 0);
  }
  return out;
}

// Each operation runs 200 ms (simulator wall clock); the first poll comes 100 ms after the expected end.
const RUNNING_MS = 200;
const settings = { pollMarginMs: 100 };

async function setup(options: { priorMs?: (key: string) => number | undefined } = {}) {
  const h = await startHarness();
  const project = await h.createProject('calls');
  h.sim.control.setOperationTiming({ schedulingMs: 0, runningMs: RUNNING_MS });
  h.startWorker({ settings, ...(options.priorMs ? { priorMs: options.priorMs } : {}) });
  /** Runs one intent to its end and returns it with the Neon calls it made. */
  const run = async <K extends IntentKind>(kind: K, params: unknown): Promise<{ record: IntentRecord; calls: Record<string, number> }> => {
    h.sim.control.resetCounters();
    const id = await h.enqueue(kind, params);
    const record = await h.waitForTerminal(id);
    expect(record.status, JSON.stringify(record.error)).toBe('succeeded');
    return { record, calls: calls(h) };
  };
  return { h, project, run };
}

const branchWithEndpoint = (projectId: string, name: string) => ({ projectId, name, endpoints: [{ type: 'read_write' }] });

describe('Neon calls per intent', () => {
  it('branch.create + endpoint: exactly 2 requests once the batch duration is known (POST, one operations page), and the result is what Neon then shows', async () => {
    const { h, project, run } = await setup();
    await run('branch.create', branchWithEndpoint(project.projectId, 'learn'));

    const warm = await run('branch.create', branchWithEndpoint(project.projectId, 'warm'));
    expect(warm.calls).toEqual({ 'POST …/branches': 1, 'GET …/operations': 1 });

    // Built from the create response and the finished operations: the same as a read now.
    const result = warm.record.result as { branch: { id: string }; endpoints: { id: string }[]; databases: unknown[]; roles: unknown[] };
    const { branch } = await h.neon.getBranch(project.projectId, result.branch.id);
    const { endpoints } = await h.neon.listBranchEndpoints(project.projectId, result.branch.id);
    expect(result.branch).toEqual(branchSummary(branch));
    expect(result.branch).toMatchObject({ currentState: 'ready' });
    expect(result.endpoints).toEqual(endpoints.map(endpointSummary));
    expect(result.endpoints[0]).toMatchObject({ currentState: 'active' });
    expect(result.databases.length).toBeGreaterThan(0);
    expect(result.roles.length).toBeGreaterThan(0);
    // The connection URIs came from the create response too (sealed), not from extra calls.
    expect(warm.record.hasSecrets).toBe(true);
    // The step that made the change keeps Neon's request id of it (the simulator answers with ours: <intent>:<step>:a<attempt>:<n>).
    const mutating = warm.record.steps.filter((step) => step.neonRequestIds !== undefined);
    expect(mutating.map((step) => [step.name, step.neonRequestIds])).toEqual([[mutating[0]?.name, [expect.stringMatching(new RegExp(`^${warm.record.id}:${mutating[0]?.name}:a1:\\d+$`))]]]);
  });

  it('the first branch.create of a fresh deployment makes at most 3 requests with a prior (Neon\'s typical durations)', async () => {
    // A prior short of the truth (the batch takes 2 × 200 ms): the first poll finds create_branch
    // done and start_compute running, which says when the batch ends: one more poll.
    const { project, run } = await setup({ priorMs: (key) => (key === 'create_branch+start_compute' ? 250 : neonPriorMs(key)) });
    const cold = await run('branch.create', branchWithEndpoint(project.projectId, 'cold'));
    const total = Object.values(cold.calls).reduce((a, b) => a + b, 0);
    expect(cold.calls['POST …/branches']).toBe(1);
    expect(cold.calls['GET …/branches/{branch_id}']).toBeUndefined();
    expect(total).toBeLessThanOrEqual(3);
  });

  it('every other branch and endpoint kind: the mutation plus one poll once learned, the result from the response', async () => {
    const { h, project, run } = await setup();
    const { projectId, branchId } = project;
    /** Runs the kind twice (the first learns the batch's duration); the second's calls are at the floor. */
    const atFloor = async <K extends IntentKind>(kind: K, first: unknown, second: unknown = first) => {
      await run(kind, first);
      const { record, calls: made } = await run(kind, second);
      const total = Object.values(made).reduce((a, b) => a + b, 0);
      expect({ kind, total, made }).toEqual({ kind, total: record.operationIds.length > 0 ? 2 : 1, made: expect.any(Object) as unknown });
      return record.result as Record<string, { id: string }>;
    };

    const ro = await atFloor('endpoint.create', { projectId, branchId, type: 'read_only' });
    expect(ro.endpoint).toEqual(endpointSummary((await h.neon.getEndpoint(projectId, ro.endpoint?.id ?? '')).endpoint));
    const endpointId = ro.endpoint?.id ?? '';
    const ep = { projectId, endpointId };
    const update = await atFloor('endpoint.update', { ...ep, autoscalingLimitMaxCu: 2 }, { ...ep, autoscalingLimitMaxCu: 3 });
    expect(update.endpoint).toEqual(endpointSummary((await h.neon.getEndpoint(projectId, endpointId)).endpoint));
    const suspended = await atFloor('endpoint.suspend', ep);
    expect(suspended.endpoint).toMatchObject({ currentState: 'idle' });
    expect(suspended.endpoint).toEqual(endpointSummary((await h.neon.getEndpoint(projectId, endpointId)).endpoint));
    const restarted = await atFloor('endpoint.restart', ep);
    expect(restarted.endpoint).toMatchObject({ currentState: 'active' });
    expect(restarted.endpoint).toEqual(endpointSummary((await h.neon.getEndpoint(projectId, endpointId)).endpoint));
    await run('endpoint.suspend', ep);
    const started = await atFloor('endpoint.start', ep);
    expect(started.endpoint).toEqual(endpointSummary((await h.neon.getEndpoint(projectId, endpointId)).endpoint));

    const dev = (await run('branch.create', branchWithEndpoint(projectId, 'dev'))).record.result as { branch: { id: string } };
    const devId = dev.branch.id;
    const renamed = await atFloor('branch.update', { projectId, branchId: devId, name: 'dev-2' }, { projectId, branchId: devId, name: 'dev-3' });
    expect(renamed.branch).toEqual(branchSummary((await h.neon.getBranch(projectId, devId)).branch));
    const restored = await atFloor('branch.restore', { projectId, branchId: devId, sourceBranchId: branchId });
    expect(restored.branch).toMatchObject({ currentState: 'ready' });
    expect(restored.branch).toEqual(branchSummary((await h.neon.getBranch(projectId, devId)).branch));
  });

  it('role, database and project kinds: the mutation plus one poll once learned; passwords and URIs sealed from the response', async () => {
    const { h, project, run } = await setup();
    const { projectId, branchId } = project;
    const floor = (record: IntentRecord, made: Record<string, number>) =>
      expect(Object.values(made).reduce((a, b) => a + b, 0)).toBe(record.operationIds.length > 0 ? 2 : 1);
    const opened = async (id: string) => h.box.open((await h.store.getSecrets(id)) ?? '', secretContext.intent(id)) as Record<string, unknown>;
    const simRole = (name: string) => h.sim.control.state().roles.find((r) => r.branchId === branchId && r.name === name && r.deletedAt === undefined);

    await run('role.create', { projectId, branchId, name: 'learner' });
    const role = await run('role.create', { projectId, branchId, name: 'reporter' });
    floor(role.record, role.calls);
    expect(role.record.result).toEqual({ role: roleSummary((await h.neon.getRole(projectId, branchId, 'reporter')).role) });
    expect((await opened(role.record.id)).password).toBe(simRole('reporter')?.password);

    await run('database.create', { projectId, branchId, name: 'learn', ownerName: 'learner' });
    const db = await run('database.create', { projectId, branchId, name: 'reports', ownerName: 'reporter' });
    floor(db.record, db.calls);
    expect(db.record.result).toEqual({ database: databaseSummary((await h.neon.getDatabase(projectId, branchId, 'reports')).database) });
    await run('database.update', { projectId, branchId, name: 'learn', newName: 'learned' });
    const renamed = await run('database.update', { projectId, branchId, name: 'reports', newName: 'reports2' });
    floor(renamed.record, renamed.calls);
    expect(renamed.record.result).toEqual({ database: databaseSummary((await h.neon.getDatabase(projectId, branchId, 'reports2')).database) });

    await run('role.reset_password', { projectId, branchId, name: 'learner' });
    const reset = await run('role.reset_password', { projectId, branchId, name: 'reporter' });
    floor(reset.record, reset.calls);
    expect((await opened(reset.record.id)).password).toBe(simRole('reporter')?.password);
    expect((await opened(reset.record.id)).password).not.toBe((await opened(role.record.id)).password);

    await run('project.create', { name: 'learn' });
    const made = await run('project.create', { name: 'made' });
    floor(made.record, made.calls);
    const newId = (made.record.result as { project: { id: string } }).project.id;
    const { branches } = await h.neon.listBranchesPage(newId, {});
    const main = branches.find((b) => b.default);
    expect(made.record.result).toMatchObject({
      project: projectSummary((await h.neon.getProject(newId)).project),
      branch: branchSummary(main ?? branches[0]!),
      endpoints: (await h.neon.listBranchEndpoints(newId, main?.id ?? '')).endpoints.map(endpointSummary),
    });
    const uris = (await opened(made.record.id)).connectionUris as { uri: string; pooledUri: string }[];
    expect(uris.length).toBeGreaterThan(0);
    expect(uris[0]?.pooledUri).toContain('-pooler');
    const updated = await run('project.update', { projectId: newId, name: 'made-renamed' });
    expect(Object.values(updated.calls).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
    expect(updated.record.result).toEqual({ project: projectSummary((await h.neon.getProject(newId)).project) });
  });
});

describe('Neon calls per preview', () => {
  it('preview.ensure of a new branch: exactly the look-up, the POST and one operations page once learned, the result what Neon then shows; an adopted branch is still read', async () => {
    const { h, project, run } = await setup();
    const { projectId } = project;
    const pr = (number: number) => ({ sourceId: 'src_calls', repositoryId: 7, number, updatedAt: new Date().toISOString(), headSha: 'abc' });
    const states = new PullRequestStates(h.redis.connect(), { prefix: h.redis.prefix });
    const ensure = async (number: number) => {
      await states.advance(pr(number), { state: 'open', updatedAt: Date.now(), headSha: 'abc' });
      return run('preview.ensure', { projectId, name: `preview/pr-${number}`, endpoints: [{ type: 'read_write' }], ttlSeconds: 3600, pullRequest: pr(number) });
    };
    await ensure(1);

    const warm = await ensure(2);
    expect(warm.calls).toEqual({ 'GET …/branches': 1, 'POST …/branches': 1, 'GET …/operations': 1 });
    const result = warm.record.result as { action: string; branch: { id: string }; endpoints: { id: string }[] };
    expect(result.action).toBe('created');
    const { branch } = await h.neon.getBranch(projectId, result.branch.id);
    const { endpoints } = await h.neon.listBranchEndpoints(projectId, result.branch.id);
    expect(result.branch).toEqual(branchSummary(branch));
    expect(result.branch).toMatchObject({ currentState: 'ready', expiresAt: expect.any(String) as unknown });
    expect(result.endpoints).toEqual(endpoints.map(endpointSummary));
    expect(result.endpoints[0]).toMatchObject({ currentState: 'active' });
    // The connection URIs came from the create response (sealed).
    expect(warm.record.hasSecrets).toBe(true);

    // The PR's next event adopts its branch: that one is read back (its new expiry included).
    const again = await ensure(2);
    const adopted = again.record.result as { action: string; branch: { id: string; expiresAt?: string }; endpoints: unknown[] };
    expect(adopted.action).toBe('extended');
    expect(again.calls['GET …/branches/{branch_id}']).toBe(1);
    const now = await h.neon.getBranch(projectId, result.branch.id);
    expect(adopted.branch).toEqual(branchSummary(now.branch));
    expect(adopted.endpoints).toEqual((await h.neon.listBranchEndpoints(projectId, result.branch.id)).endpoints.map(endpointSummary));
  });
});
