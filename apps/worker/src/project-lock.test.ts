import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { ProjectLock } from './project-lock.js';

describe('ProjectLock', () => {
  it('is exclusive across processes, re-entrant for its owner, and released only by it', async () => {
    const redis = useTestRedis('lock');
    const a = new ProjectLock(redis.connect(), { prefix: redis.prefix, ttlMs: 10_000 });
    const b = new ProjectLock(redis.connect(), { prefix: redis.prefix, ttlMs: 10_000 });
    expect(await a.acquire('p1', 'int_a')).toEqual({ acquired: true });
    expect(await a.acquire('p1', 'int_a')).toEqual({ acquired: true });
    const refused = await b.acquire('p1', 'int_b');
    expect(refused).toMatchObject({ acquired: false, holder: 'int_a' });
    expect(refused.acquired === false && refused.retryInMs).toBeGreaterThan(0);
    expect(await b.acquire('p2', 'int_b')).toEqual({ acquired: true });
    expect(await b.release('p1', 'int_b')).toEqual({ released: false, next: undefined });
    expect(await b.acquire('p1', 'int_c')).toMatchObject({ acquired: false });
    expect(await b.extend('p1', 'int_b')).toBe(false);
    expect(await a.extend('p1', 'int_a')).toBe(true);
    // int_b stopped waiting when it released; int_c waits and is named for waking.
    expect(await a.release('p1', 'int_a')).toEqual({ released: true, next: 'int_c' });
    expect(await b.acquire('p1', 'int_b')).toEqual({ acquired: true });
    expect(await b.release('p1', 'int_b')).toEqual({ released: true, next: 'int_c' });
    expect(await b.acquire('p1', 'int_c')).toEqual({ acquired: true });
    expect(await b.release('p1', 'int_c')).toEqual({ released: true, next: undefined });
  });

  it('expires on its own when its holder dies', async () => {
    const redis = useTestRedis('lock');
    const client = redis.connect();
    const dead = new ProjectLock(client, { prefix: redis.prefix, ttlMs: 50 });
    expect(await dead.acquire('p1', 'int_dead')).toEqual({ acquired: true });
    // The lock carries its TTL, so a holder that dies without releasing it frees the project.
    const ttl = await client.pttl(`${redis.prefix}project-lock:p1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50);
  });
});
