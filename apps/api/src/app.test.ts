import { SecretBox } from '@neonops/intents';
import { freePort } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp, defaultTeams } from '../test/helper.js';
import { buildApp } from './app.js';
import { TeamDirectory } from './teams/team-directory.js';

describe('Redis down', () => {
  it('answers 503 store_unavailable at once instead of hanging, and /readyz says why', async () => {
    const port = await freePort();
    const app = await buildApp({
      redis: { url: `redis://127.0.0.1:${port}` },
      keyPrefix: 'down:',
      teams: new TeamDirectory(defaultTeams),
      secretBox: new SecretBox(SecretBox.generateKey()),
      probeNeon: async () => ({ ok: true }),
    });
    onTestFinished(() => app.close());
    const auth = { authorization: 'Bearer token-alpha' };
    const submitted = await app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: { ...auth, 'idempotency-key': 'k' } });
    expect(submitted.statusCode).toBe(503);
    expect(submitted.json()).toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(submitted.headers['retry-after']).toBe('1');
    const withoutKey = await app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: auth });
    expect(withoutKey.statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/v1/intents', headers: auth })).statusCode).toBe(503);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, checks: { redis: { ok: false } } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  }, 10_000);
});

describe('health', () => {
  it('/readyz checks Redis only: Neon answering 5xx leaves it 200; /healthz shows Neon as a detail and in neonops_neon_up', async () => {
    let neonOk = true;
    let probes = 0;
    const t = await buildTestApp({
      neonProbeIntervalMs: 0,
      probeNeon: async () => {
        probes++;
        return neonOk ? { ok: true } : { ok: false, detail: 'neon answered 503' };
      },
    });
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ ok: true, neon: { reachable: true } });
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { redis: { ok: true } } });
    neonOk = false;
    const down = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(down.statusCode).toBe(200);
    expect(down.json()).toMatchObject({ ok: true, neon: { reachable: false, detail: 'neon answered 503' } });
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^neonops_neon_up 0$/m);
    expect(probes).toBe(2);
  });

  it('/healthz probes Neon at most once per interval', async () => {
    let probes = 0;
    const t = await buildTestApp({ probeNeon: async () => (probes++, { ok: true }) });
    await Promise.all(Array.from({ length: 5 }, () => t.app.inject({ method: 'GET', url: '/healthz' })));
    expect(probes).toBe(1);
  });
});

describe('OpenAPI', () => {
  it('serves /openapi.json with every route, its response statuses and the intent kinds, and Swagger UI at /docs', async () => {
    const t = await buildTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/v1/intents',
      '/v1/intents/{id}',
      '/v1/intents/{id}/cancel',
      '/v1/projects',
      '/v1/projects/{projectId}',
      '/v1/projects/{projectId}/branches',
      '/v1/projects/{projectId}/branches/{branchId}',
      '/v1/projects/{projectId}/branches/{branchId}/endpoints',
      '/v1/projects/{projectId}/branches/{branchId}/databases',
      '/v1/projects/{projectId}/branches/{branchId}/roles',
      '/v1/projects/{projectId}/endpoints',
      '/v1/projects/{projectId}/endpoints/{endpointId}',
      '/v1/projects/{projectId}/operations',
      '/v1/projects/{projectId}/connection_uri',
      '/healthz',
      '/readyz',
    ]) {
      expect(paths).toContain(path);
    }
    const post = doc.paths['/v1/intents'].post;
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '404', '409', '413', '422', '429', '503']));
    expect(JSON.stringify(post.requestBody)).toContain('branch.create');
    expect(JSON.stringify(post.requestBody)).toContain('api_key.revoke');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const ui = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('logs', () => {
  it('never contain tokens or secrets, even on errors', async () => {
    const t = await buildTestApp();
    await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: { 'idempotency-key': 'log-key' } });
    await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: '{bad', headers: { 'content-type': 'application/json' } });
    await t.app.inject({ method: 'GET', url: '/v1/intents', headers: { authorization: 'Bearer token-not-valid-secret' } });
    await t.as('alpha', {
      method: 'POST',
      url: '/v1/intents',
      payload: { kind: 'role.create', params: { projectId: 'p-alpha', branchId: 'br-1', name: 'app', password: 'hunter2-secret' } },
    });
    const logs = t.logs();
    expect(logs).toContain('"url":"/v1/intents"');
    expect(logs).toContain('log-key');
    for (const secret of ['token-alpha', 'token-not-valid-secret', 'hunter2-secret']) expect(logs).not.toContain(secret);
  });
});
