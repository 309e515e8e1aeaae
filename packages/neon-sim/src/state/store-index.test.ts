import { onTestFinished, describe, expect, it } from 'vitest';
import { buildSimulatorApp } from '../app.js';
import { createManualClock } from '../behaviour/clock.js';
import { SimControl } from '../control/handles.js';
import { Simulation } from '../core.js';
import { DEFAULT_OPERATION_TIMING } from '../options.js';
import { assertConforms } from '../test/conformance.js';
import { IndexedMap } from './indexed-map.js';
import type { Store } from './store.js';

type Json = Record<string, unknown> & { project?: { id: string }; branch?: { id: string }; endpoint?: { id: string }; endpoints?: Array<{ id: string }> };

/** A simulator whose `Simulation` (and so its store) the test can look into; real HTTP on loopback. */
async function startIndexedSim() {
  const clock = createManualClock();
  const sim = new Simulation({
    seed: 1,
    clock,
    timing: DEFAULT_OPERATION_TIMING,
    rateLimit: false,
    faults: [],
    region: 'aws-us-east-2',
    branchesPerProject: 500,
    visibilityLagMs: 0,
    apiKeys: ['index-test-key'],
  });
  const app = buildSimulatorApp(sim);
  await app.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => app.close());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const control = new SimControl(sim);
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`http://127.0.0.1:${address.port}/api/v2${path}`, {
      method,
      headers: { authorization: 'Bearer index-test-key', accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    assertConforms(method, path, response.status, parsed);
    // Let every mutation finish so the next one is not locked (423).
    control.fastForward();
    return { status: response.status, body: (parsed ?? {}) as Json };
  };
  return { sim, clock, control, call };
}

function visits(store: Store): number {
  return store.branches.visited + store.endpoints.visited + store.databases.visited + store.roles.visited + store.operations.visited;
}

function resetVisits(store: Store): void {
  for (const map of [store.branches, store.endpoints, store.databases, store.roles, store.operations]) map.visited = 0;
}

/** Every index group holds exactly the records a scan of the whole store would find, in the same order. */
function expectIndexesMatchScan(store: Store): void {
  const projectIds = new Set([...store.projects.keys(), ...[...store.branches.values()].map((b) => b.projectId), ...[...store.operations.values()].map((o) => o.projectId)]);
  const branchIds = new Set([...store.branches.keys(), ...[...store.endpoints.values()].map((e) => e.branchId)]);
  for (const p of projectIds) {
    expect([...store.allBranchesOf(p)].map((b) => b.id)).toEqual([...store.branches.values()].filter((b) => b.projectId === p).map((b) => b.id));
    expect([...store.allEndpointsOf(p)].map((e) => e.id)).toEqual([...store.endpoints.values()].filter((e) => e.projectId === p).map((e) => e.id));
    expect([...store.operations.group('project', p)].map((o) => o.id)).toEqual([...store.operations.values()].filter((o) => o.projectId === p).map((o) => o.id));
    expect(store.writesOf(p)).toEqual(store.writes.filter((w) => w.projectId === p));
  }
  for (const b of branchIds) {
    expect([...store.endpoints.group('branch', b)].map((e) => e.id)).toEqual([...store.endpoints.values()].filter((e) => e.branchId === b).map((e) => e.id));
    expect([...store.databases.group('branch', b)]).toEqual([...store.databases.values()].filter((d) => d.branchId === b));
    expect([...store.roles.group('branch', b)]).toEqual([...store.roles.values()].filter((r) => r.branchId === b));
  }
}

describe('store indexes', () => {
  it('files a record moved into an existing group in main-map order, and drops it from its old group', () => {
    const map = new IndexedMap<string, { id: string; group: string }, 'group'>({ group: (v) => v.group });
    const first = { id: 'a', group: 'x' };
    map.set('a', first);
    map.set('b', { id: 'b', group: 'y' });
    map.set('c', { id: 'c', group: 'y' });
    first.group = 'y';
    map.regroup('a');
    expect([...map.group('group', 'y')].map((v) => v.id)).toEqual(['a', 'b', 'c']);
    expect([...map.group('group', 'x')]).toEqual([]);
    map.delete('b');
    map.set('b', { id: 'b', group: 'y' }); // a re-inserted key goes last, as in a Map
    expect([...map.group('group', 'y')].map((v) => v.id)).toEqual([...map.values()].map((v) => v.id));
    map.clear();
    expect(map.groupSize('group', 'y')).toBe(0);
  });

  it("visits only the target project's records, however many other projects exist", async () => {
    const visitedWith = async (others: number): Promise<number> => {
      const t = await startIndexedSim();
      const created = await t.call('POST', '/projects', { project: { name: 'target' } });
      const projectId = created.body.project?.id ?? '';
      const mainId = created.body.branch?.id ?? '';
      for (let i = 0; i < others; i++) {
        const other = await t.call('POST', '/projects', { project: { name: `other-${i}` } });
        await t.call('POST', `/projects/${other.body.project?.id ?? ''}/branches`, { branch: {}, endpoints: [{ type: 'read_write' }] });
      }
      resetVisits(t.sim.store);
      // The capacity bench's path (create a branch with a compute), then the reads a worker makes.
      const branch = await t.call('POST', `/projects/${projectId}/branches`, { branch: { name: 'dev' }, endpoints: [{ type: 'read_write' }] });
      expect(branch.status).toBe(201);
      const branchId = branch.body.branch?.id ?? '';
      for (const path of [
        `/projects/${projectId}/branches`,
        `/projects/${projectId}/branches/${branchId}/endpoints`,
        `/projects/${projectId}/endpoints`,
        `/projects/${projectId}/branches/${mainId}/databases`,
        `/projects/${projectId}/branches/${mainId}/roles`,
        `/projects/${projectId}/operations`,
      ]) {
        expect((await t.call('GET', path)).status).toBe(200);
      }
      return visits(t.sim.store);
    };
    const alone = await visitedWith(0);
    expect(alone).toBeGreaterThan(0);
    expect(await visitedWith(25)).toBe(alone);
  });

  it('keeps each project and branch index equal to its records through creates, moves, deletes, restores and a reset', async () => {
    const t = await startIndexedSim();
    const a = await t.call('POST', '/projects', { project: { name: 'a' } });
    const b = await t.call('POST', '/projects', { project: { name: 'b' } });
    const pa = a.body.project?.id ?? '';
    const pb = b.body.project?.id ?? '';
    const mainA = a.body.branch?.id ?? '';
    const dev = await t.call('POST', `/projects/${pa}/branches`, { branch: { name: 'dev' }, endpoints: [{ type: 'read_write' }] });
    const devId = dev.body.branch?.id ?? '';
    await t.call('POST', `/projects/${pb}/branches`, { branch: { name: 'b-dev' }, endpoints: [{ type: 'read_write' }] });
    // A read-only compute on main, then moved to dev: it must leave main's group and join dev's in store order.
    const ro = await t.call('POST', `/projects/${pa}/endpoints`, { endpoint: { branch_id: mainA, type: 'read_only' } });
    const roId = ro.body.endpoint?.id ?? '';
    expect((await t.call('PATCH', `/projects/${pa}/endpoints/${roId}`, { endpoint: { branch_id: devId } })).status).toBe(200);
    expect([...t.sim.store.endpoints.group('branch', devId)].map((e) => e.id)).toEqual(t.sim.store.endpointsOf(pa, devId).map((e) => e.id));
    expect(t.sim.store.endpointsOf(pa, mainA).map((e) => e.id)).not.toContain(roId);
    expectIndexesMatchScan(t.sim.store);

    expect((await t.call('POST', `/projects/${pa}/branches/${devId}/roles`, { role: { name: 'app' } })).status).toBe(201);
    expect((await t.call('POST', `/projects/${pa}/branches/${devId}/databases`, { database: { name: 'appdb', owner_name: 'app' } })).status).toBe(201);
    expect((await t.call('PATCH', `/projects/${pa}/branches/${devId}/databases/appdb`, { database: { name: 'appdb2' } })).status).toBe(200);
    expect((await t.call('DELETE', `/projects/${pa}/branches/${devId}/databases/appdb2`)).status).toBe(200);
    expect((await t.call('DELETE', `/projects/${pa}/branches/${devId}/databases/appdb2`)).status).toBe(204);
    expect((await t.call('POST', `/projects/${pa}/branches/${devId}/databases`, { database: { name: 'appdb2', owner_name: 'app' } })).status).toBe(201);
    expectIndexesMatchScan(t.sim.store);

    const restored = await t.call('POST', `/projects/${pa}/branches/${devId}/restore`, { source_branch_id: mainA, preserve_under_name: 'dev-backup' });
    expect(restored.status).toBe(200);
    expectIndexesMatchScan(t.sim.store);

    const del = await t.call('DELETE', `/projects/${pa}/endpoints/${roId}`);
    expect(del.status).toBe(200);
    expect((await t.call('DELETE', `/projects/${pa}/endpoints/${roId}`)).status).toBe(204);
    // Tombstones stay in the indexes (and the dump), but not in the live lists.
    expect([...t.sim.store.allEndpointsOf(pa)].map((e) => e.id)).toContain(roId);
    expect(t.sim.store.endpointsOf(pa).map((e) => e.id)).not.toContain(roId);
    expect(t.control.state().endpoints.map((e) => e.id)).toContain(roId);
    expectIndexesMatchScan(t.sim.store);

    t.control.reset();
    const store = t.sim.store;
    for (const p of [pa, pb]) {
      expect([...store.allBranchesOf(p)]).toEqual([]);
      expect([...store.allEndpointsOf(p)]).toEqual([]);
      expect(store.operationsOf(p)).toEqual([]);
      expect(store.writesOf(p)).toEqual([]);
    }
    expect([...store.databases.group('branch', devId)]).toEqual([]);
    const again = await t.call('POST', '/projects', { project: { name: 'after-reset' } });
    expect(again.status).toBe(201);
    expectIndexesMatchScan(t.sim.store);
  });

  it('deletes expired branches when their time comes: a child first, its parent on the next tick, none whose expiry was cleared', async () => {
    const t = await startIndexedSim();
    const created = await t.call('POST', '/projects', { project: { name: 'exp' } });
    const p = created.body.project?.id ?? '';
    const at = (ms: number) => new Date(t.clock.now() + ms).toISOString();
    const parent = await t.call('POST', `/projects/${p}/branches`, { branch: { name: 'parent', expires_at: at(3_600_000) } });
    const parentId = parent.body.branch?.id ?? '';
    const child = await t.call('POST', `/projects/${p}/branches`, { branch: { name: 'child', parent_id: parentId, expires_at: at(7_200_000) } });
    const kept = await t.call('POST', `/projects/${p}/branches`, { branch: { name: 'kept', expires_at: at(60_000) } });
    const keptId = kept.body.branch?.id ?? '';
    expect((await t.call('PATCH', `/projects/${p}/branches/${keptId}`, { branch: { expires_at: null } })).status).toBe(200);
    t.clock.advance(3_600_000);
    // The parent is due but has a child: it waits.
    expect((await t.call('GET', `/projects/${p}/branches/${parentId}`)).status).toBe(200);
    t.clock.advance(3_600_000);
    expect((await t.call('GET', `/projects/${p}/branches/${child.body.branch?.id ?? ''}`)).status).toBe(404);
    expect((await t.call('GET', `/projects/${p}/branches/${parentId}`)).status).toBe(404);
    expect((await t.call('GET', `/projects/${p}/branches/${keptId}`)).status).toBe(200);
    expect(t.sim.store.expiry.size + t.sim.store.expiredButKept.size).toBe(0);
  });
});
