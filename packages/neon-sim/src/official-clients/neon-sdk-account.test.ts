import { createNeonClient, NeonApiError, NeonAuthError } from '@neon/sdk';
import { describe, expect, it } from 'vitest';
import { sdkAndSim } from '../test/official-clients.js';

const HOUR = 3_600_000;

describe('@neon/sdk against the simulator: account, sharing, consumption', () => {
  it('reads the user, creates an API key that works, revokes it and is refused with it (401)', async () => {
    const { neon, violations, sim } = await sdkAndSim();
    expect(await neon.user.me()).toMatchObject({ email: 'sim-user@example.com', plan: 'scale' });
    const created = await neon.apiKeys.create({ keyName: 'ci' });
    expect(created).toMatchObject({ name: 'ci', key: expect.stringMatching(/^\S{20,}$/) });
    expect((await neon.apiKeys.list()).map((k) => k.name)).toContain('ci');

    const withNewKey = createNeonClient({ apiKey: created.key, baseUrl: sim.url });
    expect((await withNewKey.user.me()).error).toBeUndefined();
    expect(await neon.apiKeys.revoke({ keyId: created.id })).toMatchObject({ id: created.id, revoked: true });
    const refused = await withNewKey.user.me();
    expect(refused.error).toBeInstanceOf(NeonAuthError);
    expect((refused.error as NeonAuthError).status).toBe(401);
    expect(violations).toEqual([]);
  });

  it('grants, lists and revokes project permissions', async () => {
    const { neon, violations } = await sdkAndSim();
    const { id: projectId } = await neon.projects.create({});
    const granted = await neon.projects.permissions.grant({ projectId, email: 'friend@example.com' });
    expect(granted.granted_to_email).toBe('friend@example.com');
    expect((await neon.projects.permissions.list({ projectId })).map((p) => p.id)).toEqual([granted.id]);
    expect((await neon.projects.permissions.revoke({ projectId, permissionId: granted.id })).revoked_at).toBeDefined();
    expect(await neon.projects.permissions.list({ projectId })).toEqual([]);
    const missing = await neon.projects.permissions.revoke({ projectId, permissionId: 'no-such-permission' }, { throwOnError: false });
    expect(missing.error).toBeInstanceOf(NeonApiError);
    expect((missing.error as NeonApiError).status).toBe(404);
    expect(violations).toEqual([]);
  });

  it('pages consumption history (v2 and v1) for two projects whose computes ran', async () => {
    const { neon, violations, clock } = await sdkAndSim();
    const first = await neon.projects.create({ name: 'metered-1' });
    const second = await neon.projects.create({ name: 'metered-2' });
    clock.advance(2 * HOUR);
    const window = { from: new Date(clock.now() - 3 * HOUR).toISOString(), to: new Date(clock.now()).toISOString(), granularity: 'hourly' as const };

    // The SDK sends the arrays as repeated parameters and follows `pagination.cursor` to an empty page.
    const v2 = await neon.consumption
      .perProjectV2({ ...window, metrics: ['compute_unit_seconds'], project_ids: [first.id, second.id], limit: 1 })
      .all();
    expect(v2.map((p) => p.project_id).sort()).toEqual([first.id, second.id].sort());
    for (const project of v2) {
      const values = (project.periods[0]?.consumption ?? []).flatMap((c) => (c.metrics ?? []).map((m) => m.value));
      // Each 0.25 CU compute ran from its start until the default auto-suspend 300 s later.
      expect(values.reduce((sum, v) => sum + v, 0), project.project_id).toBe(75);
    }
    const v1 = await neon.consumption.perProject({ ...window, project_ids: [first.id] }).all();
    expect(v1.map((p) => p.project_id)).toEqual([first.id]);
    expect(v1[0]?.periods[0]?.consumption.reduce((sum, c) => sum + c.active_time_seconds, 0)).toBe(300);
    expect(violations).toEqual([]);
  });
});
