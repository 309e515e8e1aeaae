import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator } from '@neonops/neon-sim';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';

describe('the read-through cache', () => {
  it('answers a repeat from Redis without a Neon call, per team, never for connection URIs, with a TTL', { timeout: 60_000 }, async () => {
    const sim = await startNeonSimulator({ seed: 5, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
    onTestFinished(() => sim.close());
    const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
    const shared = (await neon.createProject({ project: { name: 'shared' } })).project.id;
    const t = await buildTestApp({
      teams: [
        { id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [shared] },
        { id: 'beta', tokenHashes: [hashToken('token-beta')], projects: [shared] },
      ],
      neon: { apiKey: sim.apiKey, baseUrl: sim.url },
      readCacheTtlMs: 60_000,
    });
    sim.control.resetCounters();
    const url = `/v1/projects/${shared}/branches`;
    const first = await t.as('alpha', { method: 'GET', url });
    expect(first.headers['x-cache']).toBe('miss');
    const calls = sim.control.counters().total;
    expect(calls).toBeGreaterThan(0);
    const second = await t.as('alpha', { method: 'GET', url });
    expect(second.statusCode).toBe(200);
    expect(second.headers['x-cache']).toBe('hit');
    expect(second.headers['content-type']).toContain('application/json');
    expect(second.json()).toEqual(first.json());
    expect(sim.control.counters().total).toBe(calls);
    // Another team has its own entries.
    expect((await t.as('beta', { method: 'GET', url })).headers['x-cache']).toBe('miss');
    // A 404 is not cached; connection URIs (a secret) never are.
    expect((await t.as('alpha', { method: 'GET', url: `/v1/projects/${shared}/branches/br-missing` })).headers['x-cache']).toBe('miss');
    const uri = `/v1/projects/${shared}/connection_uri?database_name=neondb&role_name=neondb_owner`;
    const uriAnswer = await t.as('alpha', { method: 'GET', url: uri });
    expect(uriAnswer.statusCode).toBe(200);
    expect(uriAnswer.headers['x-cache']).toBeUndefined();
    const keys = await t.redis.connect().keys(`${t.redis.prefix}readcache:*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(await t.redis.connect().pttl(key)).toBeGreaterThan(0);
      expect(await t.redis.connect().get(key)).not.toContain('postgres');
    }
  });
});
