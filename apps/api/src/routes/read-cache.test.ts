import { forgetCachedReads, readCacheKey, scanKeys } from '@neonops/intents';
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
    // One hash per project: both teams' answers about it, with a TTL, no secret in them.
    const redis = t.redis.connect();
    const keys: string[] = [];
    for await (const batch of scanKeys(redis, `${t.redis.prefix}readcache:*`)) keys.push(...batch);
    expect(keys).toEqual([readCacheKey(t.redis.prefix, shared)]);
    expect(await redis.hlen(keys[0]!)).toBe(2);
    expect(await redis.pttl(keys[0]!)).toBeGreaterThan(0);
    for (const value of await redis.hvals(keys[0]!)) expect(value).not.toContain('postgres');

    // A worker that changed the project forgets its answers: the next read asks Neon again.
    await forgetCachedReads(redis, t.redis.prefix, shared);
    expect((await t.as('alpha', { method: 'GET', url })).headers['x-cache']).toBe('miss');
    expect((await t.as('alpha', { method: 'GET', url })).headers['x-cache']).toBe('hit');
  });

  it('uses an answer only within its TTL, even while the project\'s hash lives on', { timeout: 60_000 }, async () => {
    const sim = await startNeonSimulator({ seed: 6, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
    onTestFinished(() => sim.close());
    const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
    const project = (await neon.createProject({ project: { name: 'ttl' } })).project.id;
    const t = await buildTestApp({
      teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [project] }],
      neon: { apiKey: sim.apiKey, baseUrl: sim.url },
      readCacheTtlMs: 60_000,
    });
    const url = `/v1/projects/${project}/branches`;
    expect((await t.as('alpha', { method: 'GET', url })).headers['x-cache']).toBe('miss');
    // The entry written 61 s ago (its hash kept alive by other answers) is too old to use.
    const redis = t.redis.connect();
    const key = readCacheKey(t.redis.prefix, project);
    const [field] = await redis.hkeys(key);
    const entry = (await redis.hget(key, field!))!;
    await redis.hset(key, field!, `${Date.now() - 61_000}${entry.slice(entry.indexOf('\n'))}`);
    expect((await t.as('alpha', { method: 'GET', url })).headers['x-cache']).toBe('miss');
  });
});
