import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { ScheduleLease } from './schedule-lease.js';

describe('ScheduleLease', () => {
  it('lets one tick of a schedule hold it at a time, with a TTL, released only by its holder', async () => {
    const redis = useTestRedis('schedule-lease');
    const client = redis.connect();
    const lease = new ScheduleLease(client, { prefix: redis.prefix, ttlMs: 5000 });
    const token = await lease.acquire('sch_1');
    expect(token).toBeDefined();
    expect(await lease.acquire('sch_1')).toBeUndefined();
    expect(await lease.acquire('sch_2')).toBeDefined();
    const ttl = await client.pttl(`${redis.prefix}schedule-lease:{sch_1}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5000);
    expect(await lease.release('sch_1', 'not-the-token')).toBe(false);
    expect(await lease.acquire('sch_1')).toBeUndefined();
    expect(await lease.release('sch_1', token ?? '')).toBe(true);
    expect(await lease.acquire('sch_1')).toBeDefined();
  });
});
