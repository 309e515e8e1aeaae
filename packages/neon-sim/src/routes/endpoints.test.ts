import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

type EndpointOps = ResponseBody<'startProjectEndpoint', 200>;
type ErrorBody = { code: string; message: string; request_id: string };

describe('endpoints', () => {
  it('refuses a second read_write endpoint on a branch but allows read_only ones', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const second = await t.api.post<ErrorBody>(`/projects/${p.project.id}/endpoints`, { endpoint: { branch_id: p.branch.id, type: 'read_write' } });
    expect(second.status).toBe(409);
    expect(second.body.message).toContain('only one read_write endpoint');
    const ro = await t.api.post<ResponseBody<'createProjectEndpoint', 201>>(`/projects/${p.project.id}/endpoints`, {
      endpoint: { branch_id: p.branch.id, type: 'read_only', autoscaling_limit_max_cu: 1 },
    });
    expect(ro.status).toBe(201);
    expect(ro.body.endpoint).toMatchObject({ type: 'read_only', current_state: 'init', pending_state: 'active', autoscaling_limit_max_cu: 1 });
    expect(ro.body.operations.map((o) => o.action)).toEqual(['start_compute']);
    t.sim.control.fastForward();
    const list = await t.api.get<ResponseBody<'listProjectEndpoints', 200>>(`/projects/${p.project.id}/endpoints`);
    expect(list.body.endpoints.map((e) => e.type).sort()).toEqual(['read_only', 'read_write']);
    const twoInBody = await t.api.post(`/projects/${p.project.id}/branches`, { endpoints: [{ type: 'read_write' }, { type: 'read_write' }] });
    expect(twoInBody.status).toBe(400);
  });

  it('suspends (idle), starts (active) and restarts an endpoint through operations', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`;
    const suspend = await t.api.post<EndpointOps>(`${base}/suspend`);
    expect(suspend.status).toBe(200);
    expect(suspend.body.endpoint).toMatchObject({ current_state: 'active', pending_state: 'idle' });
    expect(suspend.body.operations.map((o) => o.action)).toEqual(['suspend_compute']);
    t.sim.control.fastForward();
    const idle = await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(base);
    expect(idle.body.endpoint.current_state).toBe('idle');
    expect(idle.body.endpoint.suspended_at).toBeDefined();
    const start = await t.api.post<EndpointOps>(`${base}/start`);
    expect(start.body.operations.map((o) => o.action)).toEqual(['start_compute']);
    t.sim.control.fastForward();
    expect((await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(base)).body.endpoint.current_state).toBe('active');
    const restart = await t.api.post<EndpointOps>(`${base}/restart`);
    expect(restart.body.operations.map((o) => o.action)).toEqual(['suspend_compute', 'start_compute']);
    t.sim.control.fastForward();
    expect((await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(base)).body.endpoint.current_state).toBe('active');
  });

  it('suspends an endpoint by itself after suspend_timeout_seconds of activity on the clock', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`;
    await t.api.patch(base, { endpoint: { suspend_timeout_seconds: 60 } });
    t.sim.control.fastForward();
    t.clock.advance(59_000);
    expect((await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(base)).body.endpoint.current_state).toBe('active');
    t.clock.advance(2_000);
    expect((await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(base)).body.endpoint.current_state).toBe('idle');
  });

  it('updates an endpoint and deletes it, then answers 204 on repeated deletes', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`;
    const bad = await t.api.patch(base, { endpoint: { autoscaling_limit_min_cu: 4, autoscaling_limit_max_cu: 1 } });
    expect(bad.status).toBe(400);
    const upd = await t.api.patch<ResponseBody<'updateProjectEndpoint', 200>>(base, { endpoint: { autoscaling_limit_max_cu: 4, name: 'main-rw' } });
    expect(upd.status).toBe(200);
    expect(upd.body.endpoint).toMatchObject({ autoscaling_limit_max_cu: 4, name: 'main-rw' });
    expect(upd.body.operations.map((o) => o.action)).toEqual(['apply_config']);
    t.sim.control.fastForward();
    const del = await t.api.delete<ResponseBody<'deleteProjectEndpoint', 200>>(base);
    expect(del.status).toBe(200);
    expect(del.body.operations.map((o) => o.action)).toEqual(['suspend_compute']);
    expect((await t.api.delete(base)).status).toBe(204);
    expect((await t.api.get(base)).status).toBe(404);
    t.sim.control.fastForward();
    expect((await t.api.post(`${base}/start`)).status).toBe(404);
    // With the read_write endpoint gone, a new one may be created.
    expect((await t.api.post(`/projects/${p.project.id}/endpoints`, { endpoint: { branch_id: p.branch.id, type: 'read_write' } })).status).toBe(201);
  });

  it('refuses to delete the compute of a protected branch', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    await t.api.patch(`/projects/${p.project.id}/branches/${p.branch.id}`, { branch: { protected: true } });
    const res = await t.api.delete<ErrorBody>(`/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`);
    expect(res.status).toBe(422);
    expect((await t.api.delete(`/projects/${p.project.id}`)).status).toBe(422);
  });

  it('fails operations at the configured rate: status failed with an error text, and the endpoint stays idle', async () => {
    const t = await startTestSim({ operations: { failureRate: 1 } });
    const created = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: {} });
    t.sim.control.fastForward();
    const ops = await t.api.get<ResponseBody<'listProjectOperations', 200>>(`/projects/${created.body.project.id}/operations`);
    const byAction = Object.fromEntries(ops.body.operations.map((o) => [o.action, o]));
    expect(byAction.create_timeline).toMatchObject({ status: 'failed', failures_count: 1 });
    expect(byAction.create_timeline?.error).toContain('create_timeline failed');
    // The rest of the batch is cancelled; the resources show the failure.
    expect(byAction.start_compute?.status).toBe('cancelled');
    const branch = await t.api.get<ResponseBody<'getProjectBranch', 200>>(`/projects/${created.body.project.id}/branches/${created.body.branch.id}`);
    expect(branch.body.branch.current_state).toBe('failed');
    const ep = await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(`/projects/${created.body.project.id}/endpoints/${created.body.endpoints[0]?.id}`);
    expect(ep.body.endpoint.current_state).toBe('idle');
    expect(ep.body.endpoint.pending_state).toBeUndefined();
    // A failed operation is terminal: the project is not locked.
    t.sim.control.setOperationTiming({ failureRate: 0 });
    expect((await t.api.post(`/projects/${created.body.project.id}/endpoints/${created.body.endpoints[0]?.id}/start`)).status).toBe(200);
  });
});

describe('read-after-create lag', () => {
  it('answers 404 to a GET of a new branch or endpoint until visibilityLagMs has passed', async () => {
    const t = await startTestSim({ visibilityLagMs: 500 });
    const p = await createReadyProject(t);
    t.clock.advance(500);
    const b = await t.api.post<ResponseBody<'createProjectBranch', 201>>(`/projects/${p.project.id}/branches`, { endpoints: [{ type: 'read_write' }] });
    expect((await t.api.get(`/projects/${p.project.id}/branches/${b.body.branch.id}`)).status).toBe(404);
    expect((await t.api.get(`/projects/${p.project.id}/endpoints/${b.body.endpoints[0]?.id}`)).status).toBe(404);
    t.clock.advance(500);
    expect((await t.api.get(`/projects/${p.project.id}/branches/${b.body.branch.id}`)).status).toBe(200);
    expect((await t.api.get(`/projects/${p.project.id}/endpoints/${b.body.endpoints[0]?.id}`)).status).toBe(200);
  });
});
