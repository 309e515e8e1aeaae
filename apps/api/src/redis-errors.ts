import { ReplyError, type Redis } from 'ioredis';
import { StoreUnavailableError } from './errors.js';

/**
 * Error replies that mean "Redis cannot take this right now; the same request will work
 * later", by their prefix (the reply's first word, which Redis keeps stable; the text after
 * it is not matched): full (`OOM` under `maxmemory` with `noeviction`), a replica or a
 * failover in progress (`READONLY`, `MASTERDOWN`), a dataset still loading (`LOADING`),
 * a cluster resharding or down (`TRYAGAIN`, `CLUSTERDOWN`).
 */
const UNAVAILABLE_PREFIXES: ReadonlySet<string> = new Set(['OOM', 'READONLY', 'LOADING', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN']);

/** A full Redis does not free memory within a second: clients should wait longer than for a blip. */
const RETRY_AFTER_SECONDS: Readonly<Record<string, number>> = { OOM: 5 };

/** The prefix of a Redis error reply (`OOM`, `READONLY`, …), or undefined for anything else. */
function replyPrefix(error: unknown): string | undefined {
  if (!(error instanceof ReplyError) || !(error instanceof Error)) return undefined;
  return error.message.split(' ', 1)[0];
}

/**
 * The prefix that makes `error` a "retry later" reply, looking inside an aborted
 * transaction (`EXECABORT`, whose commands were refused as they were queued: ioredis keeps
 * those refusals in `previousErrors`).
 */
export function unavailableReplyPrefix(error: unknown): string | undefined {
  const prefix = replyPrefix(error);
  if (prefix !== undefined && UNAVAILABLE_PREFIXES.has(prefix)) return prefix;
  if (prefix === 'EXECABORT' && error instanceof Error && 'previousErrors' in error && Array.isArray(error.previousErrors)) {
    for (const inner of error.previousErrors as unknown[]) {
      const found = unavailableReplyPrefix(inner);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Runs a Redis call and turns a failure that a retry can fix into `StoreUnavailableError`
 * (503 with `Retry-After`): the connection is not ready (the API's connection has
 * `enableOfflineQueue: false`, so with Redis down a call fails at once instead of waiting),
 * or Redis answered that it cannot take the command now (full, read-only replica, failover,
 * loading; see {@link unavailableReplyPrefix}). Any other failure with the connection up (a
 * script error, say) is a bug and stays a 500.
 */
export async function withRedis<T>(redis: Redis, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw error;
    const prefix = unavailableReplyPrefix(error);
    if (prefix !== undefined) throw new StoreUnavailableError({ cause: error, reason: prefix, retryAfterSeconds: RETRY_AFTER_SECONDS[prefix] ?? 1 });
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
