import { RedisRateBudget } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator } from '@neonops/neon-sim';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';

describe('per-team request rate limits', () => {
  it('a flood of read-through requests from one team gets 429 rate_limited; another team is answered and Neon never answers 429', { timeout: 60_000 }, async () => {
    // An account budget of 50 requests/min at Neon; each team may send 20 requests/min.
    const sim = await startNeonSimulator({ seed: 3, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: { perMinute: 50 } });
    onTestFinished(() => sim.close());
    const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
    const alphaProject = (await neon.createProject({ project: { name: 'alpha' } })).project.id;
    const betaProject = (await neon.createProject({ project: { name: 'beta' } })).project.id;
    const t = await buildTestApp({
      teams: [
        { id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [alphaProject], limits: { maxActiveIntents: 100, requestsPerMinute: 20 } },
        { id: 'beta', tokenHashes: [hashToken('token-beta')], projects: [betaProject] },
      ],
      neon: { apiKey: sim.apiKey, baseUrl: sim.url },
      teamRequestsPerMinute: 20,
    });
    sim.control.resetCounters();

    const flood = await Promise.all(Array.from({ length: 60 }, () => t.as('alpha', { method: 'GET', url: `/v1/projects/${alphaProject}/branches` })));
    const statuses = flood.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    const refused = flood.find((res) => res.statusCode === 429)!;
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json()).toMatchObject({ status: 429, code: 'rate_limited' });

    // Beta is unaffected: its reads and its intents are answered.
    for (let i = 0; i < 5; i++) expect((await t.as('beta', { method: 'GET', url: `/v1/projects/${betaProject}/branches` })).statusCode).toBe(200);
    const intent = await t.as('beta', { method: 'POST', url: '/v1/intents', payload: { kind: 'branch.create', params: { projectId: betaProject, name: 'f' } } });
    expect(intent.statusCode).toBe(202);
    // Neon saw only what the limits let through, and never answered 429.
    const counters = sim.control.counters();
    expect(JSON.stringify(counters.byRoute)).not.toContain('"429"');
    expect(counters.total).toBeLessThanOrEqual(25);
    // The counters expire with their window.
    const keys = await t.redis.connect().keys(`${t.redis.prefix}ratelimit:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await t.redis.connect().pttl(key)).toBeGreaterThan(0);
  });

  it('read-through calls take from the Neon budget the workers share: a spent budget is 503 neon_unavailable, and Neon is not asked', { timeout: 60_000 }, async () => {
    const sim = await startNeonSimulator({ seed: 4, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
    onTestFinished(() => sim.close());
    const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
    const project = (await neon.createProject({ project: { name: 'alpha' } })).project.id;
    const t = await buildTestApp({
      teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [project] }],
      neon: { apiKey: sim.apiKey, baseUrl: sim.url },
      neonBudget: { perMinute: 4, maxWaitMs: 100 },
      readCacheTtlMs: 0,
    });
    // A worker on the same prefix and limits.
    const worker = new RedisRateBudget(t.redis.connect(), { prefix: t.redis.prefix, perMinute: 4 });
    expect((await t.as('alpha', { method: 'GET', url: `/v1/projects/${project}` })).statusCode).toBe(200);
    expect((await worker.usage()).used).toBe(1);
    for (let i = 0; i < 3; i++) await worker.acquire({ method: 'POST', route: 'POST /projects/{project_id}/branches' });
    sim.control.resetCounters();
    const spent = await t.as('alpha', { method: 'GET', url: `/v1/projects/${project}` });
    expect(spent.statusCode).toBe(503);
    expect(spent.json()).toMatchObject({ code: 'neon_unavailable' });
    expect(Number(spent.headers['retry-after'])).toBeGreaterThan(0);
    expect(sim.control.counters().total).toBe(0);
  });
});
