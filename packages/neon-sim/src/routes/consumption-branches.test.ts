import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { startNeonSimulator } from '../server.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

type PerBranch = ResponseBody<'getConsumptionHistoryPerBranchV2', 200>;
type PerProject = ResponseBody<'getConsumptionHistoryPerProjectV2', 200>;
const HOUR = 3_600_000;

const values = (body: PerBranch, branchId: string, name: string) =>
  (body.branches.find((b) => b.branch_id === branchId)?.periods[0]?.consumption ?? []).map((c) => c.metrics?.find((m) => m.metric_name === name)?.value ?? -1);

describe('GET /consumption_history/v2/branches', () => {
  it('reports each branch’s compute, storage and transfer per hour, summing to the project’s, with pages and filters', async () => {
    const t = await startTestSim({ operations: { schedulingMs: 0, runningMs: 0 } });
    const start = t.clock.now();
    const p = await createReadyProject(t);
    const main = p.branch.id;
    const child = await t.api.post<ResponseBody<'createProjectBranch', 201>>(`/projects/${p.project.id}/branches`, { branch: { name: 'dev' }, endpoints: [{ type: 'read_write' }] });
    expect(child.status).toBe(201);
    const dev = child.body.branch.id;
    // The child's compute suspends by itself after 300 s; main's runs two hours.
    await t.api.patch(`/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`, { endpoint: { suspend_timeout_seconds: -1 } });
    t.clock.advance(2 * HOUR);
    const q = `project_ids=${p.project.id}&from=${new Date(start).toISOString()}&to=${new Date(start + 2 * HOUR).toISOString()}&granularity=hourly&org_id=org-sim`;
    const res = await t.api.get<PerBranch>(`/consumption_history/v2/branches?${q}&metrics=compute_unit_seconds,root_branch_bytes_month,child_branch_bytes_month,public_network_transfer_bytes`);
    expect(res.status).toBe(200);
    expect(values(res.body, main, 'compute_unit_seconds')).toEqual([900, 900]);
    expect(values(res.body, dev, 'compute_unit_seconds')).toEqual([75, 0]); // 300 s × 0.25 CU
    expect(values(res.body, dev, 'root_branch_bytes_month')).toEqual([0, 0]);
    expect(values(res.body, main, 'child_branch_bytes_month')).toEqual([0, 0]);
    expect(values(res.body, dev, 'child_branch_bytes_month')[0]).toBeGreaterThan(0);
    const project = await t.api.get<PerProject>(`/consumption_history/v2/projects?${q}&metrics=compute_unit_seconds`);
    const perProject = project.body.projects[0]?.periods[0]?.consumption.map((c) => c.metrics?.[0]?.value);
    expect(perProject).toEqual([975, 900]);

    const page1 = await t.api.get<PerBranch>(`/consumption_history/v2/branches?${q}&metrics=compute_unit_seconds&limit=1`);
    expect(page1.body.branches).toHaveLength(1);
    const page2 = await t.api.get<PerBranch>(`/consumption_history/v2/branches?${q}&metrics=compute_unit_seconds&limit=1&cursor=${page1.body.pagination?.cursor}`);
    expect([...page1.body.branches, ...page2.body.branches].map((b) => b.branch_id).sort()).toEqual([main, dev].sort());
    const only = await t.api.get<PerBranch>(`/consumption_history/v2/branches?${q}&metrics=compute_unit_seconds&branch_ids=${dev}`);
    expect(only.body.branches.map((b) => b.branch_id)).toEqual([dev]);
  });

  it('answers as Neon does: 400 for per-project metrics or no project_ids, 406 beyond retention, 403 on a plan without it, 429 past the consumption limit', async () => {
    const t = await startTestSim({ rateLimit: { consumptionPerMinute: 2 } });
    const p = await createReadyProject(t);
    const now = t.clock.now();
    const range = (from: number) => `from=${new Date(from).toISOString()}&to=${new Date(from + HOUR).toISOString()}&granularity=hourly&org_id=org-sim`;
    expect((await t.api.get(`/consumption_history/v2/branches?project_ids=${p.project.id}&${range(now - HOUR)}&metrics=extra_branches_month`)).status).toBe(400);
    expect((await t.api.get(`/consumption_history/v2/branches?${range(now - HOUR)}&metrics=compute_unit_seconds`)).status).toBe(400);
    t.clock.advance(200 * HOUR);
    expect((await t.api.get(`/consumption_history/v2/branches?project_ids=${p.project.id}&${range(now)}&metrics=compute_unit_seconds`)).status).toBe(406);
    const recent = `/consumption_history/v2/branches?project_ids=${p.project.id}&${range(now + 199 * HOUR)}&metrics=compute_unit_seconds`;
    expect((await t.api.get(recent)).status).toBe(200);
    const limited = await t.api.get(recent);
    expect(limited.status).toBe(429);
    t.clock.advance(60_000);
    t.sim.control.setPerBranchConsumption(false);
    const refused = await t.api.get<{ message: string }>(`/consumption_history/v2/branches?project_ids=${p.project.id}&${range(now + 199 * HOUR)}&metrics=compute_unit_seconds`);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/not available on this plan/);
  });
});

describe('/_sim/clock', () => {
  it('reads and advances a manual clock over HTTP, applying auto-suspend at the new time; refuses bad bodies and going back', async () => {
    const t = await startTestSim({ operations: { schedulingMs: 0, runningMs: 0 } });
    const p = await createReadyProject(t);
    const origin = t.sim.origin;
    const read = await (await fetch(`${origin}/_sim/clock`)).json();
    expect(read).toEqual({ now: new Date(t.clock.now()).toISOString(), epochMs: t.clock.now(), manual: true });
    const post = (body: unknown) => fetch(`${origin}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const before = t.clock.now();
    const moved = await post({ advanceMs: 301_000 });
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { epochMs: number }).epochMs).toBe(before + 301_000);
    // The compute suspended at exactly start + 300 s, without any API request.
    const ep = t.sim.control.state().endpoints.find((e) => e.id === p.endpoints[0]?.id);
    expect(ep?.currentState).toBe('idle');
    expect(ep?.activeIntervals.at(-1)?.end).toBe(before + 300_000);
    expect((await post({ to: new Date(before + 2 * HOUR).toISOString() })).status).toBe(200);
    expect(t.clock.now()).toBe(before + 2 * HOUR);
    expect((await post({ to: new Date(before).toISOString() })).status).toBe(400);
    expect((await post({ advanceMs: -1 })).status).toBe(400);
    expect((await post({ advanceMs: 1, to: new Date(before).toISOString() })).status).toBe(400);
    expect(t.clock.now()).toBe(before + 2 * HOUR);
  });

  it('answers 409 on the system clock', async () => {
    const sim = await startNeonSimulator({ rateLimit: false });
    try {
      const res = await fetch(`${sim.origin}/_sim/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advanceMs":1000}' });
      expect(res.status).toBe(409);
      expect(((await (await fetch(`${sim.origin}/_sim/clock`)).json()) as { manual: boolean }).manual).toBe(false);
    } finally {
      await sim.close();
    }
  });
});
