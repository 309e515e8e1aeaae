import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

type V2 = ResponseBody<'getConsumptionHistoryPerProjectV2', 200>;
type V1 = ResponseBody<'getConsumptionHistoryPerProject', 200>;
const HOUR = 3_600_000;

function metric(body: V2, projectId: string, name: string): number[] {
  const project = body.projects.find((p) => p.project_id === projectId);
  return (project?.periods[0]?.consumption ?? []).map((c) => c.metrics?.find((m) => m.metric_name === name)?.value ?? -1);
}

describe('consumption history', () => {
  it('grows compute with active endpoint time, per hour (v2)', async () => {
    const t = await startTestSim();
    const start = t.clock.now();
    const p = await createReadyProject(t);
    // Never scale to zero by itself (the default is after 300 s).
    await t.api.patch(`/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`, { endpoint: { suspend_timeout_seconds: -1 } });
    t.sim.control.fastForward();
    t.clock.advance(2 * HOUR);
    // Suspend for the third hour: no compute then.
    await t.api.post(`/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}/suspend`);
    t.sim.control.fastForward();
    t.clock.advance(HOUR);
    const q = `from=${new Date(start).toISOString()}&to=${new Date(start + 3 * HOUR).toISOString()}&granularity=hourly&org_id=org-sim&metrics=compute_unit_seconds,root_branch_bytes_month&metrics=public_network_transfer_bytes`;
    const res = await t.api.get<V2>(`/consumption_history/v2/projects?${q}`);
    expect(res.status).toBe(200);
    // 0.25 CU for 3600 s in each of the first two hours, then nothing.
    expect(metric(res.body, p.project.id, 'compute_unit_seconds')).toEqual([900, 900, 0]);
    expect(metric(res.body, p.project.id, 'public_network_transfer_bytes')[0]).toBeGreaterThan(0);
    const storage = metric(res.body, p.project.id, 'root_branch_bytes_month');
    expect(storage[1]).toBeGreaterThan(storage[0] ?? 0);
    const written = await t.api.get<ResponseBody<'getProject', 200>>(`/projects/${p.project.id}`);
    expect(written.body.project.active_time_seconds).toBe(2 * 3600);
    expect(written.body.project.written_data_bytes).toBeGreaterThan(30 * 1024 * 1024);
  });

  it('serves v1 with default metrics, paginates projects and filters by project_ids', async () => {
    const t = await startTestSim();
    const start = t.clock.now();
    const a = await createReadyProject(t, 'a');
    const b = await createReadyProject(t, 'b');
    await t.api.patch(`/projects/${a.project.id}/endpoints/${a.endpoints[0]?.id}`, { endpoint: { suspend_timeout_seconds: -1 } });
    t.sim.control.fastForward();
    t.clock.advance(HOUR);
    t.sim.control.recordWrite(a.project.id, 1_000_000);
    t.clock.advance(HOUR);
    const range = `from=${new Date(start).toISOString()}&to=${new Date(start + 2 * HOUR).toISOString()}&granularity=daily`;
    const page1 = await t.api.get<V1>(`/consumption_history/projects?${range}&limit=1`);
    expect(page1.body.projects.map((p) => p.project_id)).toEqual([b.project.id]);
    const page2 = await t.api.get<V1>(`/consumption_history/projects?${range}&limit=1&cursor=${page1.body.pagination?.cursor}`);
    expect(page2.body.projects.map((p) => p.project_id)).toEqual([a.project.id]);
    const day = page2.body.projects[0]?.periods[0]?.consumption[0];
    expect(day?.active_time_seconds).toBe(2 * 3600);
    expect(day?.written_data_bytes).toBeGreaterThan(1_000_000);
    const filtered = await t.api.get<V1>(`/consumption_history/projects?${range}&project_ids=${a.project.id}&metrics=data_storage_bytes_hour`);
    expect(filtered.body.projects.map((p) => p.project_id)).toEqual([a.project.id]);
    expect(filtered.body.projects[0]?.periods[0]?.consumption[0]?.data_storage_bytes_hour).toBeGreaterThan(0);
  });

  it('checks parameters: 400 for missing or unknown values, 406 beyond the granularity’s window', async () => {
    const t = await startTestSim();
    const now = t.clock.now();
    const to = new Date(now).toISOString();
    expect((await t.api.get(`/consumption_history/v2/projects?to=${to}&granularity=hourly&metrics=compute_unit_seconds`)).status).toBe(400);
    expect((await t.api.get(`/consumption_history/v2/projects?from=${to}&to=${to}&granularity=weekly&metrics=compute_unit_seconds`)).status).toBe(400);
    expect((await t.api.get(`/consumption_history/v2/projects?from=${to}&to=${to}&granularity=hourly`)).status).toBe(400);
    expect((await t.api.get(`/consumption_history/v2/projects?from=${to}&to=${to}&granularity=hourly&metrics=cpu`)).status).toBe(400);
    const old = new Date(now - 200 * HOUR).toISOString();
    expect((await t.api.get(`/consumption_history/v2/projects?from=${old}&to=${to}&granularity=hourly&metrics=compute_unit_seconds`)).status).toBe(406);
    expect((await t.api.get(`/consumption_history/v2/projects?from=${old}&to=${to}&granularity=daily&metrics=compute_unit_seconds`)).status).toBe(200);
  });
});
