import { scanKeys } from '@neonops/redis';
import type { Redis } from 'ioredis';

/**
 * The keys that match `pattern` (a glob, as `SCAN MATCH` reads it), sorted. SCAN on every
 * master of a cluster, never `KEYS`: safe on a shared Redis and complete on a cluster,
 * where `KEYS` would ask one node only.
 */
export async function keysMatching(client: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of scanKeys(client, pattern)) out.push(...keys);
  return out.sort();
}
