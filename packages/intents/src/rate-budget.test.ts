import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { RateBudgetAbortedError, RateBudgetTimeoutError, RedisRateBudget } from './rate-budget.js';

describe('RedisRateBudget', () => {
  it('shares one per-route window between two budgets on one Redis', async () => {
    const redis = useTestRedis('rate');
    const options = { prefix: redis.prefix, perMinute: 100, perRoutePerSecond: 5 };
    const a = new RedisRateBudget(redis.connect(), options);
    const b = new RedisRateBudget(redis.connect(), options);
    const route = 'POST /projects/{project_id}/branches';
    const waits = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).tryAcquire(route)));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
    for (const w of waits.filter((w) => w > 0)) expect(w).toBeLessThanOrEqual(1000 + 1000 + 1);
    // Another route has its own per-second window.
    expect(await a.tryAcquire('GET /projects/{project_id}')).toBe(0);
  });

  it('shares the per-minute account window across routes', async () => {
    const redis = useTestRedis('rate');
    const options = { prefix: redis.prefix, perMinute: 3, perRoutePerSecond: 40 };
    const a = new RedisRateBudget(redis.connect(), options);
    const b = new RedisRateBudget(redis.connect(), options);
    expect(await a.tryAcquire('GET /a')).toBe(0);
    expect(await b.tryAcquire('GET /b')).toBe(0);
    expect(await a.tryAcquire('GET /c')).toBe(0);
    expect(await b.tryAcquire('GET /d')).toBeGreaterThan(50_000);
  });

  it('pauses every budget after a 429 and honours Retry-After', async () => {
    const redis = useTestRedis('rate');
    const options = { prefix: redis.prefix };
    const a = new RedisRateBudget(redis.connect(), options);
    const b = new RedisRateBudget(redis.connect(), options);
    await a.onRateLimited({ method: 'GET', route: 'GET /projects', retryAfterMs: 5000 });
    const wait = await b.tryAcquire('GET /projects/{project_id}');
    expect(wait).toBeGreaterThan(4000);
    expect(wait).toBeLessThanOrEqual(5000);
  });

  it('acquire waits until admitted, and stops when aborted', async () => {
    const redis = useTestRedis('rate');
    const slept: number[] = [];
    const a = new RedisRateBudget(redis.connect(), {
      prefix: redis.prefix,
      perRoutePerSecond: 1,
      // A fake sleep that records the wait and lets time pass in Redis by clearing the window.
      sleep: async (ms) => {
        slept.push(ms);
        await redis.connect().del(`${redis.prefix}{neon-rate}:route:GET /x`);
      },
    });
    await a.acquire({ method: 'GET', route: 'GET /x' });
    await a.acquire({ method: 'GET', route: 'GET /x' });
    expect(slept).toHaveLength(1);
    expect(a.stats).toMatchObject({ admitted: 2, waits: 1 });
    // Bounded: a budget that never has room gives up with a retryable error.
    let clock = 0;
    const full = new RedisRateBudget(redis.connect(), {
      prefix: redis.prefix,
      perRoutePerSecond: 1,
      maxWaitMs: 3000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    await full.acquire({ method: 'GET', route: 'GET /y' });
    await expect(full.acquire({ method: 'GET', route: 'GET /y' })).rejects.toBeInstanceOf(RateBudgetTimeoutError);
    const controller = new AbortController();
    controller.abort();
    await expect(a.acquire({ method: 'GET', route: 'GET /x', signal: controller.signal })).rejects.toBeInstanceOf(RateBudgetAbortedError);
  });
});
