import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';

let sim: NeonSimulator;
let alphaProject: string;
let betaProject: string;

beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 7, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
  alphaProject = (await neon.createProject({ project: { name: 'alpha-app' } })).project.id;
  betaProject = (await neon.createProject({ project: { name: 'beta-app' } })).project.id;
});
afterAll(async () => {
  await sim.close();
});

async function appOnSim(): Promise<TestApp> {
  return buildTestApp({
    teams: [
      { id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [alphaProject, 'p-gone'] },
      { id: 'beta', tokenHashes: [hashToken('token-beta')], projects: [betaProject] },
    ],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
  });
}

describe('read-through routes against the simulator', () => {
  it('lists only the team’s projects and shows one of them', async () => {
    const t = await appOnSim();
    const list = await t.as('alpha', { method: 'GET', url: '/v1/projects' });
    expect(list.statusCode).toBe(200);
    expect(list.json().projects.map((p: { id: string }) => p.id)).toEqual([alphaProject]);
    const one = await t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}` });
    expect(one.json().project).toMatchObject({ id: alphaProject, name: 'alpha-app' });
  });

  it('hides other teams’ projects behind 404 project_not_found without asking Neon', async () => {
    const t = await appOnSim();
    sim.control.resetCounters();
    for (const url of [`/v1/projects/${betaProject}`, `/v1/projects/${betaProject}/branches`, `/v1/projects/${betaProject}/connection_uri?database_name=neondb&role_name=neondb_owner`]) {
      const res = await t.as('alpha', { method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'project_not_found' });
    }
    expect(JSON.stringify(sim.control.counters())).not.toContain(betaProject);
  });

  it('walks branches, endpoints, databases, roles and operations of a project', async () => {
    const t = await appOnSim();
    const get = async (url: string) => {
      const res = await t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}${url}` });
      expect(res.statusCode, url).toBe(200);
      return res.json();
    };
    const { branches } = await get('/branches');
    expect(branches.length).toBeGreaterThanOrEqual(1);
    const main = branches[0];
    expect((await get(`/branches/${main.id}`)).branch).toMatchObject({ id: main.id, project_id: alphaProject });
    const { endpoints } = await get(`/branches/${main.id}/endpoints`);
    expect(endpoints[0]).toMatchObject({ branch_id: main.id });
    expect((await get('/endpoints')).endpoints.map((e: { id: string }) => e.id)).toContain(endpoints[0].id);
    expect((await get(`/endpoints/${endpoints[0].id}`)).endpoint.id).toBe(endpoints[0].id);
    expect((await get(`/branches/${main.id}/databases`)).databases.map((d: { name: string }) => d.name)).toContain('neondb');
    const { roles } = await get(`/branches/${main.id}/roles`);
    expect(roles.map((r: { name: string }) => r.name)).toContain('neondb_owner');
    for (const role of roles) expect(role).not.toHaveProperty('password');
    const { operations } = await get('/operations?limit=5');
    expect(operations.length).toBeGreaterThan(0);
    expect(operations.length).toBeLessThanOrEqual(5);
    const direct = (await get('/connection_uri?database_name=neondb&role_name=neondb_owner')).uri as string;
    const pooled = (await get('/connection_uri?database_name=neondb&role_name=neondb_owner&pooled=true')).uri as string;
    expect(direct).toMatch(/^postgres(ql)?:\/\//);
    expect(pooled).toContain('-pooler');
    // The URI holds a password: it must not reach the logs.
    const password = new URL(direct).password;
    expect(password.length).toBeGreaterThan(0);
    expect(t.logs()).not.toContain(password);
  });

  it('maps Neon errors: 404 → 404, 503 → 503 with Retry-After, 500 → 502', async () => {
    const t = await appOnSim();
    const missing = await t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}/branches/br-missing-123` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'resource_not_found' });
    const gone = await t.as('alpha', { method: 'GET', url: '/v1/projects/p-gone' });
    expect(gone.json()).toMatchObject({ status: 404, code: 'resource_not_found' });
    sim.control.setFaults([{ route: 'GET /projects/{project_id}', kind: 'status', status: 503 }]);
    try {
      const unavailable = await t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}` });
      expect(unavailable.statusCode).toBe(503);
      expect(unavailable.json()).toMatchObject({ code: 'neon_unavailable' });
      expect(unavailable.headers['retry-after']).toBeDefined();
      sim.control.setFaults([{ route: 'GET /projects/{project_id}', kind: 'status', status: 500 }]);
      const broken = await t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}` });
      expect(broken.statusCode).toBe(502);
      expect(broken.json()).toMatchObject({ code: 'neon_upstream_error' });
    } finally {
      sim.control.clearFaults();
    }
  });

  it('answers 503 neon_not_configured without a Neon API key', async () => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'GET', url: '/v1/projects/p-alpha' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'neon_not_configured' });
  });

  it('probes the simulator for /healthz with the real Neon probe; /readyz does not ask Neon', async () => {
    const t = await buildTestApp({ neon: { apiKey: sim.apiKey, baseUrl: sim.url }, neonBaseUrl: sim.url, probeNeon: undefined });
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ ok: true, neon: { reachable: true } });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).not.toHaveProperty('neon');
  });
});
