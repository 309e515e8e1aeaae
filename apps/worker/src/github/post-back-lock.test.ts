import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { PostBackBusyError, underPostBackLock } from './post-back.js';

describe('underPostBackLock', () => {
  it('lets one post-back of a pull request run at a time, with a TTL, and frees the lock after it, even when it throws', async () => {
    const redis = useTestRedis('post-back-lock');
    const client = redis.connect();
    const key = `${redis.prefix}github:lock:src:1:42`;
    const inner = await underPostBackLock(client, key, 5000, async () => {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(5000);
      await expect(underPostBackLock(client, key, 5000, async () => 'second')).rejects.toBeInstanceOf(PostBackBusyError);
      return 'first';
    });
    expect(inner).toBe('first');
    expect(await client.exists(key)).toBe(0);
    await expect(underPostBackLock(client, key, 5000, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await client.exists(key)).toBe(0);
  });

  it('never frees a lock that another run took after its own expired', async () => {
    const redis = useTestRedis('post-back-lock');
    const client = redis.connect();
    const key = `${redis.prefix}github:lock:src:1:43`;
    await underPostBackLock(client, key, 5000, async () => {
      // This run's lock expires and another run takes it.
      await client.set(key, 'other-run', 'PX', 5000);
    });
    expect(await client.get(key)).toBe('other-run');
  });
});
