import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, rawOutcome, startTestSim } from '../test/harness.js';

type ErrorBody = { code: string; message: string; request_id: string };

describe('fault injection (HTTP)', () => {
  it('status: answers the configured 5xx without touching state, for `times` requests', async () => {
    const t = await startTestSim({ faults: [{ route: 'POST /projects', kind: 'status', status: 503, times: 1 }] });
    const failed = await t.api.post<ErrorBody>('/projects', { project: {} });
    expect(failed.status).toBe(503);
    expect(failed.body.code).toBe('');
    expect(t.sim.control.state().projects).toHaveLength(0);
    expect((await t.api.post('/projects', { project: {} })).status).toBe(201);
    expect(t.sim.control.faults()[0]?.fired).toBe(1);
  });

  it('status rules can be set through the control API (524, method filter, wildcard route)', async () => {
    const t = await startTestSim();
    const put = await fetch(`${t.sim.origin}/_sim/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ route: '*', method: 'GET', kind: 'status', status: 524 }]),
    });
    expect(put.status).toBe(200);
    expect((await t.api.get('/projects')).status).toBe(524);
    expect((await t.api.post('/projects', { project: {} })).status).toBe(201);
    await fetch(`${t.sim.origin}/_sim/faults`, { method: 'DELETE' });
    expect((await t.api.get('/projects')).status).toBe(200);
  });

  it('latency: a delayed request finishes after a later, undelayed one', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    t.sim.control.setFaults([{ route: 'GET /projects/{project_id}', kind: 'latency', latencyMs: 300 }]);
    const order: string[] = [];
    const slow = t.api.get(`/projects/${p.project.id}`).then((r) => order.push(`slow:${r.status}`));
    // Wait until the slow request has reached the simulator (counted as a fired rule).
    while (t.sim.control.faults()[0]?.fired !== 1) await new Promise((resolve) => setImmediate(resolve));
    await t.api.get('/projects').then((r) => order.push(`fast:${r.status}`));
    await slow;
    expect(order).toEqual(['fast:200', 'slow:200']);
  });

  it('reset: the connection is destroyed before anything is applied', async () => {
    const t = await startTestSim({ faults: [{ route: 'POST /projects', kind: 'reset', times: 1 }] });
    const outcome = await rawOutcome(`${t.sim.url}/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.sim.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ project: {} }),
    });
    expect(outcome.ok).toBe(false);
    expect(t.sim.control.state().projects).toHaveLength(0);
    expect(t.sim.control.counters().byRoute['POST /projects']).toEqual({ reset: 1 });
  });

  it('lost-response: the mutation is applied, then the connection is dropped without an answer', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    t.sim.control.setFaults([{ route: 'POST /projects/{project_id}/branches', kind: 'lost-response', times: 1 }]);
    const outcome = await rawOutcome(`${t.sim.url}/projects/${p.project.id}/branches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.sim.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ branch: { name: 'pr-1' } }),
    });
    expect(outcome.ok).toBe(false);
    const state = t.sim.control.state();
    expect(state.branches.filter((b) => b.name === 'pr-1')).toHaveLength(1);
    expect(state.operations.filter((o) => o.action === 'create_branch')).toHaveLength(1);
    expect(t.sim.control.counters().byRoute['POST /projects/{project_id}/branches']).toEqual({ 'lost-response': 1 });
    // A blind retry after fast-forward meets the branch it already made.
    t.sim.control.fastForward();
    expect((await t.api.post(`/projects/${p.project.id}/branches`, { branch: { name: 'pr-1' } })).status).toBe(409);
    const list = await t.api.get<ResponseBody<'listProjectBranches', 200>>(`/projects/${p.project.id}/branches?search=pr-1`);
    expect(list.body.branches).toHaveLength(1);
  });

  it('probability: the same seed gives the same sequence of faults', async () => {
    const run = async (seed: number) => {
      const t = await startTestSim({ seed, faults: [{ kind: 'status', status: 500, probability: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await t.api.get('/projects')).status);
      return statuses;
    };
    const a = await run(7);
    const b = await run(7);
    expect(a).toEqual(b);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });
});
