import { secretContext, type IntentRecord } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from './errors.js';
import { live, startHarness } from './test/harness.js';

// Failed operations are expected; exhausted retries are possible (but rare) with 20% 5xx.
// A conflict would mean that reconciliation did not recognise our own resource.
const CLEAR_FAILURES = new Set<string>([FailureCodes.operationFailed, FailureCodes.retriesExhausted]);

describe('faults', () => {
  it('with 5xx/524, lost responses, failing operations and 423 windows: every intent ends clearly, nothing is duplicated', { timeout: 90_000 }, async () => {
    const h = await startHarness({ sim: { operations: { schedulingMs: 10, runningMs: 40 } } });
    const a = await h.createProject('faults-a');
    const b = await h.createProject('faults-b');
    h.sim.control.setFaults([
      { kind: 'lost-response', method: 'POST', probability: 0.15 },
      { kind: 'status', status: 503, probability: 0.1 },
      { kind: 'status', status: 524, probability: 0.1 },
    ]);
    h.sim.control.setOperationTiming({ failureRate: 0.05 });
    h.startWorker({ concurrency: 8 });

    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const project = i % 2 ? a : b;
      ids.push(
        await h.enqueue('branch.create', {
          projectId: project.projectId,
          name: `f-${i}`,
          endpoints: [{ type: 'read_write' }],
          role: { name: `app${i}` },
          database: { name: `db${i}` },
        }),
      );
    }
    for (let i = 0; i < 4; i++) {
      ids.push(await h.enqueue('role.create', { projectId: a.projectId, branchId: a.branchId, name: `r${i}` }));
      ids.push(await h.enqueue('database.create', { projectId: a.projectId, branchId: a.branchId, name: `d${i}`, ownerName: 'neondb_owner' }));
      ids.push(await h.enqueue('endpoint.create', { projectId: b.projectId, branchId: b.branchId, type: 'read_only' }));
      ids.push(await h.enqueue('api_key.create', { keyName: `fault-key-${i}` }));
    }
    for (let i = 0; i < 3; i++) ids.push(await h.enqueue('project.create', { name: `faulty-project-${i}` }));
    // 423 windows: someone else mutates project A's main branch while the intents run.
    const outside = (async () => {
      for (let i = 0; i < 5; i++) {
        await h.neon.updateBranch(a.projectId, a.branchId, { branch: { name: `main-${i}` } }).catch(() => undefined);
      }
    })();

    const records: IntentRecord[] = [];
    for (const id of ids) records.push(await h.waitForTerminal(id, 60_000));
    await outside;

    for (const r of records) {
      if (r.status === 'succeeded') continue;
      expect(r.status, `${r.kind} ${JSON.stringify(r.error)}`).toBe('failed');
      expect(CLEAR_FAILURES.has(r.error?.code ?? ''), `${r.kind} ${JSON.stringify(r.error)}`).toBe(true);
      expect(r.error?.message.length).toBeGreaterThan(10);
    }
    expect(records.filter((r) => r.status === 'succeeded').length).toBeGreaterThan(records.length / 2);

    const state = h.sim.control.state();
    const counters = h.sim.control.counters();
    expect(counters.byStatus['503'] ?? 0).toBeGreaterThan(0);
    expect(counters.byStatus['lost-response'] ?? 0).toBeGreaterThan(0);
    const unique = (keys: string[]) => expect(new Set(keys).size).toBe(keys.length);
    unique(live(state.branches).map((x) => `${x.projectId}/${x.name}`));
    unique(live(state.projects).map((x) => x.name));
    unique(live(state.roles).map((x) => `${x.branchId}/${x.name}`));
    unique(live(state.databases).map((x) => `${x.branchId}/${x.name}`));
    unique(live(state.endpoints).filter((e) => e.type === 'read_write').map((e) => e.branchId));
    // Each endpoint.create intent made at most one endpoint.
    const readOnly = live(state.endpoints).filter((e) => e.type === 'read_only' && e.branchId === b.branchId);
    expect(readOnly.length).toBeLessThanOrEqual(4);
    const reported = records.filter((r) => r.kind === 'endpoint.create' && r.status === 'succeeded').map((r) => (r.result as { endpoint: { id: string } }).endpoint.id);
    unique(reported);
    for (const id of reported) expect(readOnly.map((e) => e.id)).toContain(id);
    // Every api_key.create left at most one live key of its name (orphans of lost responses are revoked).
    for (let i = 0; i < 4; i++) expect(state.apiKeys.filter((k) => k.name === `fault-key-${i}` && !k.revoked).length).toBeLessThanOrEqual(1);

    // No secret, and not the Neon API key, in anything the worker logged.
    const logs = h.logs.join('');
    expect(logs).not.toContain(h.sim.apiKey);
    for (const r of records.filter((x) => x.hasSecrets)) {
      const secrets = JSON.stringify(h.box.open((await h.store.getSecrets(r.id)) ?? '', secretContext.intent(r.id)));
      for (const value of secrets.match(/"(?:uri|pooledUri|password|key)":"([^"]+)"/g) ?? []) {
        const secret = value.slice(value.indexOf(':"') + 2, -1);
        expect(logs).not.toContain(secret);
      }
    }
    expect(logs).not.toMatch(/postgres(ql)?:\/\/[^\s"]*:[^\s"*]+@/);
  });
});
