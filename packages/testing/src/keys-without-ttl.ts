import { isCluster, scanKeys } from '@neonops/redis';
import type { Redis } from 'ioredis';

/**
 * The keys under `prefix` that have no TTL, sorted: after a test, every key it left behind
 * should expire or be one of the few with a documented bound (the guide's "keys on a
 * diet"). SCAN + PTTL (on every master of a cluster), so it is safe on a shared Redis.
 */
export async function keysWithoutTtl(client: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of scanKeys(client, `${prefix}*`)) {
    // A cluster's pipeline must stay on one node: ask key by key there.
    const ttls = isCluster(client)
      ? await Promise.all(keys.map((key) => client.pttl(key)))
      : ((await keys.reduce((p, key) => p.pttl(key), client.pipeline()).exec()) ?? []).map(([, ttl]) => ttl);
    // -1: no TTL; -2: the key vanished between SCAN and PTTL, which is fine.
    keys.forEach((key, i) => {
      if (ttls[i] === -1) out.push(key);
    });
  }
  return out.sort();
}
