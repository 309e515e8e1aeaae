import { corePrefix, intentRequestSchema } from '@neonops/intents';
import { IntentStore } from '@neonops/intents';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { branchCreate, buildTestApp, jobCount } from '../../../../test/helper.js';
import { hashToken } from '../../../teams/teams-file.js';
import { idempotencyRedisKey, requestFingerprint } from './fingerprint.js';
import { IdempotencyStore } from './store.js';

const post = (payload: unknown, key: string) => ({ method: 'POST' as const, url: '/v1/intents', payload: payload as object, headers: { 'idempotency-key': key } });

async function waitUntilGone(client: Redis, key: string) {
  // Poll the key's remaining lifetime; PTTL -2 means it has expired.
  for (;;) {
    const pttl = await client.pttl(key);
    if (pttl === -2) return;
    await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(pttl, 200))));
  }
}

describe('Idempotency-Key on POST /v1/intents', () => {
  it('replays the stored answer for the same key and body, with Idempotent-Replayed: true', async () => {
    const t = await buildTestApp();
    const first = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(first.statusCode).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same body with its keys in another order is the same request.
    const again = await t.as('alpha', post({ params: { name: 'feature-1', projectId: 'p-alpha' }, kind: 'branch.create' }, 'key-1'));
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.json()).toEqual(first.json());
    expect(await jobCount(t.queue)).toBe(1);
    expect(first.json().idempotencyKey).toBe('key-1');
  });

  it('answers 422 for the same key with a different body, and enqueues nothing', async () => {
    const t = await buildTestApp();
    await t.as('alpha', post(branchCreate(), 'key-1'));
    const res = await t.as('alpha', post(branchCreate('p-alpha', { name: 'other' }), 'key-1'));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'idempotency_key_mismatch' });
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('answers 409 while a request with the same key is still in flight', async () => {
    const t = await buildTestApp();
    // Another replica holds the key: an in-flight record with the same fingerprint.
    const store = new IdempotencyStore(t.redis.connect());
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1');
    const started = await store.begin(redisKey, requestFingerprint('POST', '/v1/intents', intentRequestSchema.parse(branchCreate())));
    expect(started.kind).toBe('started');
    const res = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(res.statusCode).toBe(409);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toMatchObject({ code: 'idempotency_request_in_flight' });
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('scopes keys per team: the same key in two teams makes two intents', async () => {
    const t = await buildTestApp();
    const a = await t.as('alpha', post(branchCreate('p-alpha'), 'shared'));
    const b = await t.as('beta', post(branchCreate('p-beta'), 'shared'));
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await jobCount(t.queue)).toBe(2);
  });

  it('releases the key when the request fails, so a retry with the same key is handled anew', async () => {
    const t = await buildTestApp();
    const refused = await t.as('alpha', post(branchCreate('p-beta'), 'key-1'));
    expect(refused.statusCode).toBe(404);
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1');
    expect(await t.redis.connect().exists(redisKey)).toBe(0);
    const retried = await t.as('alpha', post(branchCreate('p-alpha'), 'key-1'));
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('releases the key when Redis fails mid-request (500, details hidden and logged), so the retry succeeds', async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    // A wrong-typed key makes the intent store's cap check fail inside Redis.
    const activeKey = `${corePrefix(t.redis.prefix)}team:alpha:active`;
    await client.set(activeKey, 'not-a-set');
    const failed = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ code: 'internal_error', status: 500 });
    expect(failed.json().detail).toBeUndefined();
    expect(failed.body).not.toMatch(/WRONGTYPE/);
    expect(t.logs()).toMatch(/WRONGTYPE/);
    expect(await client.exists(idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1'))).toBe(0);
    expect(await jobCount(t.queue)).toBe(0);
    await client.del(activeKey);
    const retried = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('does not take a key for an invalid request', async () => {
    const t = await buildTestApp();
    expect((await t.as('alpha', post({ kind: 'branch.create', params: {} }, 'key-1'))).statusCode).toBe(400);
    expect((await t.as('alpha', post(branchCreate(), 'key-1'))).statusCode).toBe(202);
  });

  it('accepts the key as an RFC 8941 string and refuses keys longer than 255 characters', async () => {
    const t = await buildTestApp();
    const quoted = await t.as('alpha', post(branchCreate(), '"abc"'));
    expect(quoted.statusCode).toBe(202);
    expect((await t.as('alpha', post(branchCreate(), 'abc'))).headers['idempotent-replayed']).toBe('true');
    const long = await t.as('alpha', post(branchCreate(), 'k'.repeat(256)));
    expect(long.statusCode).toBe(400);
    expect(long.json().errors[0]).toMatchObject({ in: 'headers', path: 'idempotency-key' });
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('forgets a key after the configured TTL', async () => {
    const t = await buildTestApp({ idempotencyTtlSeconds: 1 });
    const first = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(first.statusCode).toBe(202);
    const client = t.redis.connect();
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1');
    const pttl = await client.pttl(redisKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    await waitUntilGone(client, redisKey);
    // After expiry the key is new again: a different body is accepted, not a mismatch.
    const later = await t.as('alpha', post(branchCreate('p-alpha', { name: 'other' }), 'key-1'));
    expect(later.statusCode).toBe(202);
    expect(later.json().id).not.toBe(first.json().id);
  });

  it('gives an in-flight claim a short lease: a key whose owner vanished frees itself, and only a stored answer gets the full TTL', async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1');
    const fingerprint = requestFingerprint('POST', '/v1/intents', intentRequestSchema.parse(branchCreate()));
    // A replica claims the key with a 1-second lease, then dies without answering.
    const vanished = new IdempotencyStore(t.redis.connect(), { inFlightTtlSeconds: 1 });
    expect((await vanished.begin(redisKey, fingerprint)).kind).toBe('started');
    const pttl = await client.pttl(redisKey);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1000);
    expect((await t.as('alpha', post(branchCreate(), 'key-1'))).statusCode).toBe(409);
    await waitUntilGone(client, redisKey);
    // The lease ended: the key is usable again and this request makes the intent.
    const retried = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(await jobCount(t.queue)).toBe(1);
    // Stored answers keep the full TTL (24 h by default), far beyond the lease.
    expect(await client.pttl(redisKey)).toBeGreaterThan(3600_000);
  });

  it('holds a claim for the default 60-second lease only, and stores the answer for the configured TTL', async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    const store = new IdempotencyStore(client, { ttlSeconds: 7200 });
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-2');
    const started = await store.begin(redisKey, 'fp');
    if (started.kind !== 'started') throw new Error(`expected a claim, got ${started.kind}`);
    const leased = await client.pttl(redisKey);
    expect(leased).toBeGreaterThan(0);
    expect(leased).toBeLessThanOrEqual(60_000);
    expect(await store.complete(started.lease, { status: 202, headers: {}, body: '{}' })).toBe(true);
    const kept = await client.pttl(redisKey);
    expect(kept).toBeGreaterThan(60_000);
    expect(kept).toBeLessThanOrEqual(7200_000);
    expect(await store.begin(redisKey, 'fp')).toMatchObject({ kind: 'completed', response: { status: 202 } });
  });

  it('turns 100 parallel identical requests into exactly one intent and one job', async () => {
    const t = await buildTestApp();
    const answers = await Promise.all(Array.from({ length: 100 }, () => t.as('alpha', post(branchCreate(), 'burst'))));
    const accepted = answers.filter((r) => r.statusCode === 202);
    const inFlight = answers.filter((r) => r.statusCode === 409);
    expect(accepted.length + inFlight.length).toBe(100);
    for (const r of inFlight) expect(r.json().code).toBe('idempotency_request_in_flight');
    const ids = new Set(accepted.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(accepted.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    expect(await jobCount(t.queue)).toBe(1);
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    expect((await store.list('alpha')).items).toHaveLength(1);
  });

  it('claims the key in the intent\'s own script: the key goes from free to the stored answer, never in flight', async () => {
    const t = await buildTestApp();
    const client = t.redis.connect();
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-1');
    const first = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(first.statusCode).toBe(202);
    const stored = JSON.parse((await client.get(redisKey)) ?? '{}');
    expect(stored).toMatchObject({ state: 'completed', response: { status: 202, headers: { location: first.headers.location } } });
    expect(JSON.parse(stored.response.body)).toEqual(first.json());
    expect(await client.pttl(redisKey)).toBeGreaterThan(3600_000);
  });

  it('a failure between the intent\'s script and its job add: the request and its retry answer the stored intent (its job is the sweeper\'s)', async () => {
    let crash = true;
    const t = await buildTestApp({
      crashPoints: (point) => {
        if (point === 'api.after_record' && crash) throw new Error('crashed at api.after_record');
      },
    });
    // The request that failed after its script is answered with what the script stored: the intent is accepted.
    const failed = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(failed.statusCode).toBe(202);
    expect(failed.headers['idempotent-replayed']).toBe('true');
    crash = false;
    const retried = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json()).toEqual(failed.json());
    // The record and its answer were written together; the job was never added (the sweeper adds a queued intent's missing job).
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    const { items } = await store.list('alpha');
    expect(items.map((i) => i.id)).toEqual([retried.json().id]);
    expect(items[0]?.status).toBe('queued');
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('replays a stored answer even when the team is at its cap, and a new key at the cap stores nothing', async () => {
    const t = await buildTestApp({ teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { maxActiveIntents: 1 } }] });
    const first = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(first.statusCode).toBe(202);
    const capped = await t.as('alpha', post(branchCreate('p-alpha', { name: 'other' }), 'key-2'));
    expect(capped.statusCode).toBe(429);
    expect(await t.redis.connect().exists(idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-2'))).toBe(0);
    const again = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
  });

  it('answers a held key before the rights check, as when the key was claimed first: 422 for another body the team may not send, a replay for the same', async () => {
    const t = await buildTestApp();
    const first = await t.as('alpha', post(branchCreate(), 'key-1'));
    expect(first.statusCode).toBe(202);
    // Another team's project (404 without a key): the key's answer comes first.
    const mismatch = await t.as('alpha', post(branchCreate('p-beta'), 'key-1'));
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.json()).toMatchObject({ code: 'idempotency_key_mismatch' });
    // A key held in flight by a request elsewhere (a hook delivery's lease, another version's claim): 409 even for a refused body.
    const store = new IdempotencyStore(t.redis.connect());
    const redisKey = idempotencyRedisKey(t.redis.prefix, 'alpha', 'key-2');
    expect((await store.begin(redisKey, requestFingerprint('POST', '/v1/intents', intentRequestSchema.parse(branchCreate('p-beta'))))).kind).toBe('started');
    const inFlight = await t.as('alpha', post(branchCreate('p-beta'), 'key-2'));
    expect(inFlight.statusCode).toBe(409);
    // Without any key the refusal is as before.
    expect((await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-beta') })).statusCode).toBe(404);
    expect(await jobCount(t.queue)).toBe(1);
  });
});
