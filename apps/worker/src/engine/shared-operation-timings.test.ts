import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { SharedOperationTimings } from './shared-operation-timings.js';

const KEY = 'create_branch+start_compute';

describe('SharedOperationTimings', () => {
  it('what one instance observes, a fresh other one on the same Redis expects', async () => {
    const redis = useTestRedis('optimings');
    const a = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix });
    const b = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix });
    for (const ms of [1000, 2000, 3000, 4000]) a.observe(KEY, ms);
    expect(a.expectedMs(KEY)).toBe(3000);
    // The writes are fire-and-forget: wait until they landed (a read on the same connection).
    const check = redis.connect();
    await expect.poll(() => check.llen(a.redisKey(KEY))).toBe(4);
    expect(await b.expectedMs(KEY)).toBe(3000);
    // Once read, the answer comes from memory (no promise: no round trip on the hot path).
    expect(b.expectedMs(KEY)).toBe(3000);
    expect(await check.ttl(a.redisKey(KEY))).toBeGreaterThan(6 * 86_400);
    expect(await new SharedOperationTimings(redis.connect(), { prefix: `${redis.prefix}other:` }).expectedMs(KEY)).toBeUndefined();
  });

  it('keeps only the last `window` samples, in Redis and in a reader', async () => {
    const redis = useTestRedis('optimings');
    const a = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix, window: 4 });
    for (const ms of [9000, 9000, 9000, 100, 200, 300, 400]) a.observe(KEY, ms);
    const check = redis.connect();
    await expect.poll(() => check.lrange(a.redisKey(KEY), 0, -1)).toEqual(['400', '300', '200', '100']);
    const b = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix, window: 4 });
    expect(await b.expectedMs(KEY)).toBe(300);
  });

  it('reads a known kind again after refreshMs, in the background, so processes converge', async () => {
    const redis = useTestRedis('optimings');
    let clock = 0;
    const a = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix });
    const b = new SharedOperationTimings(redis.connect(), { prefix: redis.prefix, refreshMs: 1000, now: () => clock });
    const check = redis.connect();
    a.observe(KEY, 1000);
    await expect.poll(() => check.llen(a.redisKey(KEY))).toBe(1);
    expect(await b.expectedMs(KEY)).toBe(1000); // unknown to b: read once, awaited
    for (let i = 0; i < 8; i++) a.observe(KEY, 5000);
    await expect.poll(() => check.llen(a.redisKey(KEY))).toBe(9);
    expect(b.expectedMs(KEY)).toBe(1000); // within refreshMs: memory only
    clock = 1000;
    expect(b.expectedMs(KEY)).toBe(1000); // stale: answered from memory, read started
    await expect.poll(() => b.expectedMs(KEY)).toBe(5000);
  });

  it('a Redis failure neither throws on observe nor blocks expectedMs', async () => {
    const redis = useTestRedis('optimings');
    const conn = redis.connect();
    const t = new SharedOperationTimings(conn, { prefix: redis.prefix, loadTimeoutMs: 50 });
    conn.disconnect();
    expect(() => t.observe(KEY, 1200)).not.toThrow();
    expect(await t.expectedMs(KEY)).toBe(1200);
    expect(await t.expectedMs('delete_timeline')).toBeUndefined();
  });
});
