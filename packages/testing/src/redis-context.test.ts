import { describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, useTestRedis } from './redis-context.js';
import { redisAnswers } from './redis-server.js';

describe('useTestRedis', () => {
  it('hands each test a Redis that answers and a prefix of its own', async () => {
    const a = useTestRedis();
    const b = useTestRedis();
    expect(a.prefix).not.toBe(b.prefix);
    expect(await redisAnswers(a.url)).toBe(true);
    const client = a.connect();
    await client.set(`${a.prefix}k`, 'v');
    expect(await client.get(`${a.prefix}k`)).toBe('v');
  });

  it('deletes the keys under a prefix and nothing else', async () => {
    const ctx = useTestRedis();
    const client = ctx.connect();
    const outsider = `outsider:${ctx.prefix}`;
    await client.set(outsider, '1');
    try {
      await client.mset(`${ctx.prefix}a`, '1', `${ctx.prefix}b`, '2');
      expect(await deleteKeysWithPrefix(client, ctx.prefix)).toBe(2);
      expect(await client.exists(`${ctx.prefix}a`, `${ctx.prefix}b`)).toBe(0);
      expect(await client.exists(outsider)).toBe(1);
    } finally {
      await client.del(outsider);
    }
  });
});
