import { randomUUID } from 'node:crypto';
import { closeRedis, createRedis, deleteKeysUnder } from '@neonops/redis';
import type { Redis, RedisOptions } from 'ioredis';
import { inject, onTestFinished } from 'vitest';
import './provided-context.js';

/** One test's share of the Redis: its own key prefix, and clients that are closed for it. */
export interface TestRedisContext {
  url: string;
  /** Unique per call, ending in `:`; use it as the BullMQ `prefix` and for every key. */
  prefix: string;
  /** A new connection; closed when the test finishes. */
  connect(options?: RedisOptions): Redis;
}

/** Deletes every key under `prefix` with SCAN + UNLINK (on every master of a cluster); never FLUSHALL on a shared Redis. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  return deleteKeysUnder(client, prefix);
}

/**
 * Gives the running test a unique key prefix on the run's Redis and cleans up after it:
 * clients made through `connect()` are closed and every key under the prefix is deleted.
 * Call it inside a test (or a `beforeEach`).
 */
export function useTestRedis(label = 'test'): TestRedisContext {
  const url = inject('redisUrl');
  const prefix = `${label}:${randomUUID().slice(0, 8)}:`;
  const clients: Redis[] = [];
  onTestFinished(async () => {
    const cleaner = createRedis(url, { maxRetriesPerRequest: 1 });
    try {
      await deleteKeysWithPrefix(cleaner, prefix);
    } finally {
      cleaner.disconnect();
      await Promise.all(clients.map((c) => closeRedis(c)));
    }
  });
  return {
    url,
    prefix,
    connect(options) {
      const client = createRedis(url, { maxRetriesPerRequest: null, ...options });
      clients.push(client);
      return client;
    },
  };
}
