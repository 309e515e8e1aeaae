import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, jobCount, type TestApp } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';

let sim: NeonSimulator;
let shared: string;
let own: string;
let protectedBranch: string;
let plainBranch: string;
let serviceKeyId: number;

beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 12, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
  shared = (await neon.createProject({ project: { name: 'shared' } })).project.id;
  own = (await neon.createProject({ project: { name: 'payments-own' } })).project.id;
  protectedBranch = (await neon.createBranch(shared, { branch: { name: 'prod', protected: true } })).branch.id;
  plainBranch = (await neon.createBranch(shared, { branch: { name: 'dev' } })).branch.id;
  // The simulator's one key is the key this service runs on.
  const keys = await neon.listApiKeys();
  serviceKeyId = keys[0]?.id ?? 0;
});
afterAll(async () => {
  await sim.close();
});

async function appOnSim(): Promise<TestApp> {
  return buildTestApp({
    teams: [
      { id: 'payments', tokenHashes: [hashToken('token-payments')], projects: [shared, own], owns: [own] },
      { id: 'search', tokenHashes: [hashToken('token-search')], projects: [shared], kinds: ['branch.*', 'endpoint.*'] },
      { id: 'root', tokenHashes: [hashToken('token-root')], admin: true },
    ],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
    serviceApiKeyIds: [serviceKeyId],
  });
}

const submit = (t: TestApp, team: string, kind: string, params: Record<string, unknown>) =>
  t.as(team, { method: 'POST', url: '/v1/intents', payload: { kind, params } });

describe('rights per project (POST /v1/intents)', () => {
  it('refuses project.delete on a shared project (403 not_project_owner) and accepts it on the team’s own', async () => {
    const t = await appOnSim();
    const refused = await submit(t, 'payments', 'project.delete', { projectId: shared });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'not_project_owner', status: 403 });
    expect(await jobCount(t.queue)).toBe(0);
    expect((await submit(t, 'payments', 'project.delete', { projectId: own })).statusCode).toBe(202);
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('refuses kinds outside the team’s patterns with 403 kind_not_allowed_on_project', async () => {
    const t = await appOnSim();
    const res = await submit(t, 'search', 'role.create', { projectId: shared, branchId: plainBranch, name: 'app' });
    expect(res.json()).toMatchObject({ code: 'kind_not_allowed_on_project', status: 403 });
    expect((await submit(t, 'search', 'branch.create', { projectId: shared, name: 'feature' })).statusCode).toBe(202);
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('never queues a revoke of the service’s own Neon API key, even for an admin', async () => {
    const t = await appOnSim();
    const res = await submit(t, 'root', 'api_key.revoke', { keyId: serviceKeyId });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'service_key_protected' });
    expect(await jobCount(t.queue)).toBe(0);
    expect((await submit(t, 'root', 'api_key.revoke', { keyId: serviceKeyId + 1000 })).statusCode).toBe(202);
  });

  it('refuses branch.delete of a protected branch (asked of Neon before queuing), accepts an unprotected one', async () => {
    const t = await appOnSim();
    const res = await submit(t, 'search', 'branch.delete', { projectId: shared, branchId: protectedBranch });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'branch_protected' });
    expect(await jobCount(t.queue)).toBe(0);
    expect((await submit(t, 'search', 'branch.delete', { projectId: shared, branchId: plainBranch })).statusCode).toBe(202);
    expect(await jobCount(t.queue)).toBe(1);
  });
});
