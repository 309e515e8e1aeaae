import { describe, expect, it } from 'vitest';
import type { SimStateDump } from './handles.js';
import type { CountersSnapshot } from '../behaviour/counters.js';
import type { ResponseBody } from '../http/types.js';
import { startTestSim } from '../test/harness.js';

async function control<T>(origin: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${origin}/_sim${path}`, {
    method,
    ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

describe('control API (/_sim)', () => {
  it('needs no API key and exposes counters, state, fast-forward and reset', async () => {
    const t = await startTestSim();
    const created = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: { name: 'c' } });
    await t.api.get('/projects/none-such-1');
    const counters = await control<CountersSnapshot>(t.sim.origin, 'GET', '/counters');
    expect(counters.body.byRoute).toEqual({ 'POST /projects': { '201': 1 }, 'GET /projects/{project_id}': { '404': 1 } });
    expect(counters.body.total).toBe(2);

    const ff = await control<{ finished: number }>(t.sim.origin, 'POST', '/fast-forward');
    expect(ff.body.finished).toBe(2);
    const state = await control<SimStateDump>(t.sim.origin, 'GET', '/state');
    expect(state.body.projects.map((p) => p.id)).toEqual([created.body.project.id]);
    expect(state.body.endpoints[0]?.currentState).toBe('active');
    expect(state.body.operations.every((o) => o.status === 'finished')).toBe(true);
    expect(JSON.stringify(state.body.apiKeys)).not.toContain(t.sim.apiKey);

    const reset = await control<{ seed: number }>(t.sim.origin, 'POST', '/reset', { seed: 99 });
    expect(reset.body.seed).toBe(99);
    expect((await control<SimStateDump>(t.sim.origin, 'GET', '/state')).body.projects).toEqual([]);
    expect((await control<CountersSnapshot>(t.sim.origin, 'GET', '/counters')).body.total).toBe(0);
    // The configured API keys still work after a reset.
    expect((await t.api.get('/projects')).status).toBe(200);
  });

  it('sets the seed (deterministic ids), options and faults at run time, and rejects bad input with 400', async () => {
    const t = await startTestSim();
    await control(t.sim.origin, 'PUT', '/seed', { seed: 5 });
    const first = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: {} });
    await control(t.sim.origin, 'PUT', '/seed', { seed: 5 });
    const again = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: {} });
    expect(again.body.project.id).toBe(first.body.project.id);
    expect((await control<{ seed: number }>(t.sim.origin, 'GET', '/seed')).body.seed).toBe(5);

    const opts = await control<{ operations: { schedulingMs: number; runningMs: number; failureRate: number } }>(t.sim.origin, 'PUT', '/options', {
      operations: { schedulingMs: 0, runningMs: 0 },
    });
    expect(opts.body.operations).toEqual({ schedulingMs: 0, runningMs: 0, failureRate: 0 });
    t.sim.control.fastForward();
    const instant = await t.api.post<ResponseBody<'createProjectBranch', 201>>(`/projects/${again.body.project.id}/branches`, {});
    expect(instant.body.operations.map((o) => o.status)).toEqual(['finished']);

    expect((await control(t.sim.origin, 'PUT', '/faults', [{ kind: 'explode' }])).status).toBe(400);
    expect((await control(t.sim.origin, 'PUT', '/options', { operations: { failureRate: 2 } })).status).toBe(400);
    const added = await control<{ rules: unknown[] }>(t.sim.origin, 'POST', '/faults', { rules: [{ kind: 'latency', latencyMs: 1 }] });
    expect(added.body.rules).toHaveLength(1);
    expect((await control(t.sim.origin, 'POST', '/writes', { project_id: 'nope', bytes: 1 })).status).toBe(404);
    expect((await control(t.sim.origin, 'POST', '/writes', { project_id: again.body.project.id, bytes: 10 })).status).toBe(200);
  });
});
