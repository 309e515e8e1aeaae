import { ConsumptionHistoryGranularity, createApiClient } from '@neondatabase/api-client';
import { describe, expect, it } from 'vitest';
import { apiClientAndSim, httpFailure, httpResponseOf } from '../test/official-clients.js';

const HOUR = 3_600_000;

describe('@neondatabase/api-client against the simulator: account, sharing, consumption', () => {
  it('reads the user, creates an API key that works, revokes it and is refused with it (401)', async () => {
    const { client, violations, sim } = await apiClientAndSim();
    const me = await client.getCurrentUserInfo();
    expect(me.status).toBe(200);
    expect(me.data).toMatchObject({ email: 'sim-user@example.com', plan: 'scale' });

    const created = await client.createApiKey({ key_name: 'ci' });
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({ name: 'ci', key: expect.stringMatching(/^\S{20,}$/) });
    expect((await client.listApiKeys()).data.map((k) => k.name)).toContain('ci');

    const withNewKey = createApiClient({ apiKey: created.data.key, baseURL: sim.url });
    expect((await withNewKey.getCurrentUserInfo()).status).toBe(200);
    const revoked = await client.revokeApiKey(created.data.id);
    expect(revoked.data).toMatchObject({ id: created.data.id, revoked: true });
    expect((await client.listApiKeys()).data.map((k) => k.id)).not.toContain(created.data.id);
    const refused = await httpFailure(withNewKey.getCurrentUserInfo());
    expect(refused.status).toBe(401);
    expect(refused.data).toMatchObject({ code: '', message: expect.any(String) });
    expect(violations).toEqual([]);
  });

  it('grants, lists and revokes project permissions', async () => {
    const { client, violations } = await apiClientAndSim();
    const projectId = (await client.createProject({ project: {} })).data.project.id;
    const granted = await client.grantPermissionToProject(projectId, { email: 'friend@example.com' });
    expect(granted.data.granted_to_email).toBe('friend@example.com');
    expect((await client.listProjectPermissions(projectId)).data.project_permissions.map((p) => p.id)).toEqual([granted.data.id]);
    const revoked = await client.revokePermissionFromProject(projectId, granted.data.id);
    expect(revoked.data.revoked_at).toBeDefined();
    expect((await client.listProjectPermissions(projectId)).data.project_permissions).toEqual([]);
    expect((await httpFailure(client.revokePermissionFromProject(projectId, 'no-such-permission'))).status).toBe(404);
    expect(violations).toEqual([]);
  });

  it('reads consumption history (v2 and v1) for a project whose compute ran', async () => {
    const { client, violations, clock } = await apiClientAndSim();
    const created = await client.createProject({ project: { name: 'metered' } });
    const projectId = created.data.project.id;
    clock.advance(2 * HOUR);
    const from = new Date(clock.now() - 3 * HOUR).toISOString();
    const to = new Date(clock.now()).toISOString();

    const v2 = await client.getConsumptionHistoryPerProjectV2({
      from,
      to,
      granularity: ConsumptionHistoryGranularity.Hourly,
      metrics: ['compute_unit_seconds', 'root_branch_bytes_month'],
      project_ids: [projectId],
      org_id: 'org-sim',
    });
    expect(v2.status).toBe(200);
    const consumption = v2.data.projects[0]?.periods[0]?.consumption ?? [];
    expect(v2.data.projects.map((p) => p.project_id)).toEqual([projectId]);
    const cuSeconds = consumption.flatMap((c) => c.metrics ?? []).filter((m) => m.metric_name === 'compute_unit_seconds');
    // The 0.25 CU compute ran from its start until the default auto-suspend 300 s later.
    expect(cuSeconds.reduce((sum, m) => sum + m.value, 0)).toBe(75);

    const v1 = await client.getConsumptionHistoryPerProject({ from, to, granularity: ConsumptionHistoryGranularity.Hourly, project_ids: [projectId] });
    expect(v1.data.projects[0]?.periods[0]?.consumption.some((c) => c.active_time_seconds > 0)).toBe(true);
    const missingMetrics = await httpFailure(client.getConsumptionHistoryPerProjectV2({ from, to, granularity: ConsumptionHistoryGranularity.Hourly, metrics: [], org_id: 'org-sim' }));
    expect(missingMetrics.status).toBe(400);
    expect(violations).toEqual([]);
  });

  it('is refused with 429 and Retry-After beyond the per-route rate limit (the client does not retry)', async () => {
    const { client, violations } = await apiClientAndSim({ rateLimit: { perRoutePerSecond: 2 } });
    const projectId = (await client.createProject({ project: {} })).data.project.id;
    expect((await client.getProject(projectId)).status).toBe(200);
    expect((await client.getProject(projectId)).status).toBe(200);
    const refused = await client.getProject(projectId).catch((error: unknown) => error);
    const response = httpResponseOf(refused);
    expect(response?.status).toBe(429);
    expect(response?.data).toMatchObject({ code: '', message: 'rate limit exceeded' });
    expect(Number((response?.headers ?? {})['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(violations).toEqual([]);
  });
});
