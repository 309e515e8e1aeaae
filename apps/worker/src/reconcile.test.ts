import { describe, expect, it } from 'vitest';
import { live, startHarness } from './test/harness.js';

describe('reconciliation after a lost create response', () => {
  it('finds what the lost POST made instead of creating it again, for every create kind', { timeout: 60_000 }, async () => {
    const h = await startHarness();
    const { projectId, branchId } = await h.createProject('reconcile');
    // Each create route loses its first response: the request is applied, the answer never comes.
    h.sim.control.setFaults(
      [
        'POST /projects',
        'POST /projects/{project_id}/branches',
        'POST /projects/{project_id}/endpoints',
        'POST /projects/{project_id}/branches/{branch_id}/databases',
        'POST /projects/{project_id}/branches/{branch_id}/roles',
        'POST /api_keys',
      ].map((route) => ({ route, kind: 'lost-response' as const, times: 1 })),
    );
    h.startWorker();
    const ids = [
      await h.enqueue('project.create', { name: 'lost-project' }),
      await h.enqueue('branch.create', { projectId, name: 'lost-branch', endpoints: [{ type: 'read_write' }] }),
      await h.enqueue('endpoint.create', { projectId, branchId, type: 'read_only' }),
      await h.enqueue('database.create', { projectId, branchId, name: 'lostdb', ownerName: 'neondb_owner' }),
      await h.enqueue('role.create', { projectId, branchId, name: 'lostrole' }),
      await h.enqueue('api_key.create', { keyName: 'lost-key' }),
    ];
    const records = [];
    for (const id of ids) records.push(await h.waitForTerminal(id));
    expect(records.map((r) => [r.kind, r.status, r.error?.code])).toEqual(records.map((r) => [r.kind, 'succeeded', undefined]));
    expect(h.sim.control.faults().every((f) => f.fired === 1)).toBe(true);

    const state = h.sim.control.state();
    expect(live(state.projects).filter((p) => p.name === 'lost-project')).toHaveLength(1);
    expect(live(state.branches).filter((b) => b.name === 'lost-branch')).toHaveLength(1);
    const readOnly = live(state.endpoints).filter((e) => e.branchId === branchId && e.type === 'read_only');
    expect(readOnly).toHaveLength(1);
    expect((records[2]?.result as { endpoint: { id: string } }).endpoint.id).toBe(readOnly[0]?.id);
    expect(live(state.databases).filter((d) => d.branchId === branchId && d.name === 'lostdb')).toHaveLength(1);
    expect(live(state.roles).filter((r) => r.branchId === branchId && r.name === 'lostrole')).toHaveLength(1);
    // The key whose secret was lost is revoked; the one handed out is the only live one.
    const keys = state.apiKeys.filter((k) => k.name === 'lost-key');
    expect(keys).toHaveLength(2);
    expect(keys.filter((k) => !k.revoked).map((k) => k.id)).toEqual([(records[5]?.result as { id: number }).id]);
  });
});
