import { describe, expect, it } from 'vitest';
import { keysWithoutTtl } from './keys-without-ttl.js';
import { useTestRedis } from './redis-context.js';

describe('keysWithoutTtl', () => {
  it('lists the keys under a prefix that have no TTL, and nothing outside it', async () => {
    const ctx = useTestRedis();
    const client = ctx.connect();
    const outsider = `outsider:${ctx.prefix}`;
    await client.set(outsider, '1');
    try {
      await client.set(`${ctx.prefix}b-forever`, '1');
      await client.set(`${ctx.prefix}expiring`, '1', 'EX', 60);
      await client.zadd(`${ctx.prefix}a-index`, 0, 'x');
      expect(await keysWithoutTtl(client, ctx.prefix)).toEqual([`${ctx.prefix}a-index`, `${ctx.prefix}b-forever`]);
    } finally {
      await client.del(outsider);
    }
  });
});
