import { RedisRateBudget } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator } from '@neonops/neon-sim';
import { keysMatching } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';
import { buildApp } from '../app.js';
import { RateReservations } from '../plugins/app/rate-reservations.js';
import { TeamDirectory } from '../teams/team-directory.js';
import { hashToken, type TeamInput } from '../teams/teams-file.js';

/** A second API replica on the test app's Redis and prefix (what a deployment of two looks like). */
async function replicaOf(t: Awaited<ReturnType<typeof buildTestApp>>, teams: TeamInput[]) {
  const app = await buildApp({
    redis: { url: t.redis.url },
    keyPrefix: t.redis.prefix,
    secretBox: t.secretBox,
    probeNeon: async () => ({ ok: true }),
    teams: new TeamDirectory(teams),
  });
  onTestFinished(() => app.close());
  return app;
}

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
    const client = t.redis.connect();
    const keys = await keysMatching(client, `${t.redis.prefix}ratelimit:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await client.pttl(key)).toBeGreaterThan(0);
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

  it('holds across two API replicas on one Redis: a team flooding both gets exactly its limit in all', { timeout: 60_000 }, async () => {
    const teams: TeamInput[] = [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { requestsPerMinute: 20 } }];
    const t = await buildTestApp({ teams });
    const other = await replicaOf(t, teams);
    const get = { method: 'GET' as const, url: '/v1/intents', headers: { authorization: 'Bearer token-alpha' } };
    const flood = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? t.app : other).inject(get)));
    const statuses = flood.map((res) => res.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // Either replica refuses from then on, POSTs included.
    for (const app of [t.app, other]) {
      const post = await app.inject({ ...get, method: 'POST', payload: { kind: 'branch.create', params: { projectId: 'p-alpha', name: 'f' } } });
      expect(post.statusCode).toBe(429);
      expect(post.json()).toMatchObject({ code: 'rate_limited' });
    }
    expect(Number(await t.redis.connect().get(`${t.redis.prefix}ratelimit:team:alpha`))).toBe(20);
  });

  it('reserves requests in blocks of 1 % of a large limit: two replicas never pass the limit together, and strand at most a block each', { timeout: 60_000 }, async () => {
    const teams: TeamInput[] = [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { requestsPerMinute: 500 } }];
    const t = await buildTestApp({ teams });
    const other = await replicaOf(t, teams);
    const counter = `${t.redis.prefix}ratelimit:team:alpha`;
    const get = { method: 'GET' as const, url: '/v1/intents', headers: { authorization: 'Bearer token-alpha' } };
    // One request takes a block of 5 (1 % of 500) from Redis; the next four cost no round trip.
    expect((await t.app.inject(get)).statusCode).toBe(200);
    expect(Number(await t.redis.connect().get(counter))).toBe(5);
    for (let i = 0; i < 4; i++) expect((await t.app.inject(get)).statusCode).toBe(200);
    expect(Number(await t.redis.connect().get(counter))).toBe(5);
    // Both replicas flooded at once: 700 more requests for the 495 left.
    const flood = await Promise.all(Array.from({ length: 700 }, (_, i) => (i % 2 === 0 ? t.app : other).inject(get)));
    const admitted = flood.filter((res) => res.statusCode === 200).length;
    expect(admitted).toBeLessThanOrEqual(495);
    expect(admitted).toBeGreaterThanOrEqual(495 - 2 * 4);
    expect(flood.filter((res) => res.statusCode === 429).length).toBe(700 - admitted);
    expect(Number(await t.redis.connect().get(counter))).toBeLessThanOrEqual(500);
  });

  it('answers a spent window without Redis until it ends, then counts a new window', { timeout: 30_000 }, async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    const reservations = new RateReservations(client, { nameSpace: `${t.redis.prefix}rl:` });
    const incr = (key: string) =>
      new Promise<{ current: number; ttl: number }>((resolve, reject) => reservations.incr(key, (error, result) => (error ? reject(error) : resolve(result!)), 500, 2));
    expect((await incr('k')).current).toBe(1);
    expect((await incr('k')).current).toBe(2);
    const refused = await incr('k');
    expect(refused.current).toBeGreaterThan(2);
    expect(refused.ttl).toBeGreaterThan(0);
    expect(refused.ttl).toBeLessThanOrEqual(500);
    // The counter holds the window's count only: refusals were answered here, not counted in Redis.
    expect(await client.get(`${t.redis.prefix}rl:k`)).toBe('2');
    // The window ends with the key's TTL: the next request starts a new one.
    while ((await client.pttl(`${t.redis.prefix}rl:k`)) !== -2) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, refused.ttl)));
    expect((await incr('k')).current).toBe(1);
    expect(await client.get(`${t.redis.prefix}rl:k`)).toBe('1');
  });

  it('counts a replay of an Idempotency-Key like any request (the key is looked at after the limit)', async () => {
    const t = await buildTestApp({ teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { requestsPerMinute: 2 } }] });
    const post = { method: 'POST' as const, url: '/v1/intents', payload: { kind: 'branch.create', params: { projectId: 'p-alpha', name: 'f' } }, headers: { 'idempotency-key': 'k' } };
    expect((await t.as('alpha', post)).statusCode).toBe(202);
    const replay = await t.as('alpha', post);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await t.as('alpha', post)).statusCode).toBe(429);
  });

  it('lets requests through when Redis fails (skipOnError), as before', async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    // A wrong-typed counter makes the reservation fail inside Redis.
    await client.hset(`${t.redis.prefix}ratelimit:team:alpha`, 'x', '1');
    expect((await t.as('alpha', { method: 'GET', url: '/v1/intents' })).statusCode).toBe(200);
    await client.del(`${t.redis.prefix}ratelimit:team:alpha`);
  });
});
