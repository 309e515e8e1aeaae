import { describe, expect, it } from 'vitest';
import { keysMatching } from './keys-matching.js';
import { useTestRedis } from './redis-context.js';

describe('keysMatching', () => {
  it('lists the keys a pattern matches, sorted, across hash slots, and nothing else', async () => {
    const ctx = useTestRedis();
    const client = ctx.connect();
    // Keys in different hash slots (each on its own node of a cluster) and one that does not match.
    const matching = ['c', 'a', '{teams}:b', 'd:{x}'].map((name) => `${ctx.prefix}m:${name}`);
    for (const key of matching) await client.set(key, '1');
    await client.set(`${ctx.prefix}other`, '1');
    expect(await keysMatching(client, `${ctx.prefix}m:*`)).toEqual([...matching].sort());
    expect(await keysMatching(client, `${ctx.prefix}none:*`)).toEqual([]);
  });
});
