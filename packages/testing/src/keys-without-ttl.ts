import type { Redis } from 'ioredis';

/**
 * The keys under `prefix` that have no TTL, sorted: after a test, every key it left behind
 * should expire or be one of the few with a documented bound (the guide's "keys on a
 * diet"). SCAN + PTTL, so it is safe on a shared Redis.
 */
export async function keysWithoutTtl(client: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.pttl(key);
    const ttls = (await pipeline.exec()) ?? [];
    // -1: no TTL; -2: the key vanished between SCAN and PTTL, which is fine.
    keys.forEach((key, i) => {
      if (ttls[i]?.[1] === -1) out.push(key);
    });
  } while (cursor !== '0');
  return out.sort();
}
