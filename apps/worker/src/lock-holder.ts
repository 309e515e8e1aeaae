import { RedisScript } from '@neonops/intents';
import type { Redis } from 'ioredis';

/** The one check-or-release script of every token-fenced lock of the worker (`commands/if-holder-2.lua`). */
const IF_HOLDER = RedisScript.load(new URL('./commands/if-holder-2.lua', import.meta.url));

/** A lock's waiters: a sorted set beside the lock (same hash tag), and the caller's id in it. */
export interface LockWaiters {
  key: string;
  id: string;
}

/**
 * Deletes `lock` only while it holds `token`, atomically (a holder whose lock expired and was
 * taken by another must not free the other's). With `waiters`, also forgets the caller as a
 * waiter and, when the lock was released, names the longest waiter left, so the caller can
 * wake it.
 */
export async function releaseIfHolder(
  redis: Redis,
  lock: string,
  token: string,
  waiters?: LockWaiters,
): Promise<{ released: boolean; next: string | undefined }> {
  const [released, next] = (await IF_HOLDER.run(redis, [lock, waiters?.key ?? lock], [token, 'release', waiters?.id ?? ''])) as [
    number,
    string | null,
  ];
  return { released: released === 1, next: next ?? undefined };
}

/** The remaining TTL of `lock` in ms (at least 1) while it holds `token`, else 0. */
export async function holderTtl(redis: Redis, lock: string, token: string): Promise<number> {
  const [ttl] = (await IF_HOLDER.run(redis, [lock, lock], [token, 'check'])) as [number, null];
  return ttl;
}
