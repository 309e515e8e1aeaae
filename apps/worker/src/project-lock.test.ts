import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { ProjectLock, ProjectLockLostError } from './project-lock.js';

describe('ProjectLock', () => {
  it('is exclusive across processes, re-entrant for its token, and released only by it', async () => {
    const redis = useTestRedis('lock');
    const a = new ProjectLock(redis.connect(), { prefix: redis.prefix, ttlMs: 10_000 });
    const b = new ProjectLock(redis.connect(), { prefix: redis.prefix, ttlMs: 10_000 });
    const [ta, tb, tc] = ['int_a', 'int_b', 'int_c'].map((id) => ProjectLock.newToken(id)) as [string, string, string];
    expect(ta).toMatch(/^int_a:[0-9a-f]{16}$/);
    expect(await a.acquire('p1', ta)).toEqual({ acquired: true });
    expect(await a.acquire('p1', ta)).toEqual({ acquired: true });
    const refused = await b.acquire('p1', tb);
    expect(refused).toMatchObject({ acquired: false, holder: 'int_a' });
    expect(refused.acquired === false && refused.retryInMs).toBeGreaterThan(0);
    expect(await b.acquire('p2', tb)).toEqual({ acquired: true });
    expect(await b.release('p1', tb)).toEqual({ released: false, next: undefined });
    expect(await b.acquire('p1', tc)).toMatchObject({ acquired: false });
    expect(await b.extend('p1', tb)).toBe(false);
    expect(await a.extend('p1', ta)).toBe(true);
    // Naming someone else's token as "previous" takes nothing over.
    expect(await b.acquire('p1', tb, { previous: ta })).toMatchObject({ acquired: false, holder: 'int_a' });
    // int_b stopped waiting when it released; int_c waits and is named for waking.
    expect(await a.release('p1', ta)).toEqual({ released: true, next: 'int_c' });
    expect(await b.acquire('p1', tb)).toEqual({ acquired: true });
    expect(await b.release('p1', tb)).toEqual({ released: true, next: 'int_c' });
    expect(await b.acquire('p1', tc)).toEqual({ acquired: true });
    expect(await b.holder('p1')).toBe('int_c');
    expect(await b.release('p1', tc)).toEqual({ released: true, next: undefined });
    expect(await b.holder('p1')).toBeUndefined();
  });

  it('fences a stale run of the same intent: once its token is replaced it cannot extend, release or pass a check', async () => {
    const redis = useTestRedis('lock');
    const client = redis.connect();
    const lock = new ProjectLock(client, { prefix: redis.prefix, ttlMs: 10_000 });
    const stale = ProjectLock.newToken('int_x');
    const current = ProjectLock.newToken('int_x');
    expect(await lock.acquire('p1', stale)).toEqual({ acquired: true });
    await lock.assertHeld('p1', stale);
    // A token of the same intent that the checkpoint does not name may still be working: wait for it.
    expect(await lock.acquire('p1', current)).toMatchObject({ acquired: false, holder: 'int_x' });
    // The next run names the token its checkpoint holds and takes the lock over.
    expect(await lock.acquire('p1', current, { previous: stale })).toEqual({ acquired: true });
    expect(await client.get(lock.key('p1'))).toBe(current);

    expect(await lock.extend('p1', stale)).toBe(false);
    await expect(lock.assertHeld('p1', stale)).rejects.toBeInstanceOf(ProjectLockLostError);
    expect(await lock.release('p1', stale)).toEqual({ released: false, next: undefined });
    expect(await lock.acquire('p1', stale)).toMatchObject({ acquired: false });
    expect(await client.get(lock.key('p1'))).toBe(current);
    await lock.assertHeld('p1', current);
    expect(await lock.release('p1', current)).toMatchObject({ released: true });
  });

  it('takes over from an earlier run on extend, never takes a free lock there, and sets the TTL asked for', async () => {
    const redis = useTestRedis('lock');
    const client = redis.connect();
    const lock = new ProjectLock(client, { prefix: redis.prefix, ttlMs: 1000 });
    const first = ProjectLock.newToken('int_y');
    const second = ProjectLock.newToken('int_y');
    expect(await lock.extend('p1', first)).toBe(false);
    expect(await client.exists(lock.key('p1'))).toBe(0);
    expect(await lock.acquire('p1', first)).toEqual({ acquired: true });
    // Held across a long wait on operations: the TTL covers the wait.
    expect(await lock.extend('p1', second, { previous: first, ttlMs: 60_000 })).toBe(true);
    expect(await client.get(lock.key('p1'))).toBe(second);
    expect(await client.pttl(lock.key('p1'))).toBeGreaterThan(50_000);
    expect(await lock.extend('p1', first, { ttlMs: 60_000 })).toBe(false);
  });

  it('expires on its own when its holder dies; waiters are bounded too', async () => {
    const redis = useTestRedis('lock');
    const client = redis.connect();
    const dead = new ProjectLock(client, { prefix: redis.prefix, ttlMs: 50 });
    expect(await dead.acquire('p1', ProjectLock.newToken('int_dead'))).toEqual({ acquired: true });
    expect(await dead.acquire('p1', ProjectLock.newToken('int_waiting'))).toMatchObject({ acquired: false });
    // The lock carries its TTL, so a holder that dies without releasing it frees the project.
    const ttl = await client.pttl(dead.key('p1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(50);
    const waitersTtl = await client.pttl(`${dead.key('p1')}:waiters`);
    expect(waitersTtl).toBeGreaterThan(0);
    expect(waitersTtl).toBeLessThanOrEqual(150);
  });
});
