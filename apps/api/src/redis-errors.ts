import type { Redis } from 'ioredis';
import { StoreUnavailableError } from './errors.js';

/**
 * Runs a Redis call and turns a failure while the connection is not ready into
 * `StoreUnavailableError` (503). The API's connection has `enableOfflineQueue: false`, so
 * with Redis down a call fails at once instead of waiting; a failure with the connection
 * up (a script error, say) is a bug and stays a 500.
 */
export async function withRedis<T>(redis: Redis, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (redis.status !== 'ready') throw new StoreUnavailableError({ cause: error });
    throw error;
  }
}

/** Rejects with `StoreUnavailableError` when `promise` has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError()), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
