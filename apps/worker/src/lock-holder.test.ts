import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { holderTtl, releaseIfHolder } from './lock-holder.js';

describe('releaseIfHolder / holderTtl (if-holder-2.lua)', () => {
  it('without waiters: deletes the lock only for its token (schedule leases, post-back locks)', async () => {
    const redis = useTestRedis('if-holder');
    const client = redis.connect();
    const lock = `${redis.prefix}lease:{s1}`;
    await client.set(lock, 'mine', 'PX', 10_000);
    expect(await releaseIfHolder(client, lock, 'theirs')).toEqual({ released: false, next: undefined });
    expect(await client.get(lock)).toBe('mine');
    expect(await releaseIfHolder(client, lock, 'mine')).toEqual({ released: true, next: undefined });
    expect(await client.exists(lock)).toBe(0);
    expect(await releaseIfHolder(client, lock, 'mine')).toEqual({ released: false, next: undefined });
  });

  it('with waiters: forgets the caller as a waiter either way and names the longest waiter only on a release (project locks)', async () => {
    const redis = useTestRedis('if-holder');
    const client = redis.connect();
    const lock = `${redis.prefix}lock:{p1}`;
    const waiters = `${lock}:waiters`;
    await client.set(lock, 'a:1', 'PX', 10_000);
    await client.zadd(waiters, 1, 'b', 2, 'c', 3, 'd');
    // A stale token releases nothing and wakes nobody, but stops waiting.
    expect(await releaseIfHolder(client, lock, 'b:1', { key: waiters, id: 'b' })).toEqual({ released: false, next: undefined });
    expect(await client.zrange(waiters, 0, -1)).toEqual(['c', 'd']);
    expect(await client.get(lock)).toBe('a:1');
    expect(await releaseIfHolder(client, lock, 'a:1', { key: waiters, id: 'a' })).toEqual({ released: true, next: 'c' });
    expect(await client.exists(lock)).toBe(0);
    await client.set(lock, 'c:1');
    await client.del(waiters);
    expect(await releaseIfHolder(client, lock, 'c:1', { key: waiters, id: 'c' })).toEqual({ released: true, next: undefined });
  });

  it('checks without changing anything: the TTL left (at least 1 ms) for the holder, 0 for anyone else (project locks)', async () => {
    const redis = useTestRedis('if-holder');
    const client = redis.connect();
    const lock = `${redis.prefix}lock:{p2}`;
    expect(await holderTtl(client, lock, 'a:1')).toBe(0);
    await client.set(lock, 'a:1', 'PX', 10_000);
    const ttl = await holderTtl(client, lock, 'a:1');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(await holderTtl(client, lock, 'b:1')).toBe(0);
    await client.persist(lock);
    expect(await holderTtl(client, lock, 'a:1')).toBe(1);
    expect(await client.get(lock)).toBe('a:1');
  });
});
