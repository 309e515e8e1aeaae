import type { Redis } from 'ioredis';

export interface ProjectLockOptions {
  /** Key prefix shared by every worker process. */
  prefix: string;
  /** Lock TTL in ms; each acquire or extend renews it, so a dead worker's lock frees itself. Default 30000. */
  ttlMs?: number;
}

// KEYS: lock, waiters. ARGV: owner, ttl, now. Takes a free lock, or renews one we already hold
// (re-entrant). Returns 1 when held by `owner` afterwards; else records `owner` as a waiter
// (oldest first) and returns the lock's remaining TTL as a negative number.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]) * 2)
return -math.max(1, redis.call('PTTL', KEYS[1]))`;

// KEYS: lock, waiters. ARGV: owner. Deletes the lock only when `owner` holds it; returns
// [released (0/1), oldest waiter or false].
const RELEASE = `
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then released = redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[1])
local next = redis.call('ZRANGE', KEYS[2], 0, 0)
return { released, next[1] or false }`;

export type LockAttempt = { acquired: true } | { acquired: false; holder: string | undefined; retryInMs: number };

/**
 * Serializes Neon mutations per project across every worker process: one Redis key per
 * project (`SET NX PX` semantics) whose value is the owning intent id. Acquire is
 * re-entrant for the same intent and renews the TTL; the holder keeps renewing while it
 * waits on its operations and releases once they are terminal or the intent ends. A
 * worker that dies leaves a lock that expires after `ttlMs`.
 */
export class ProjectLock {
  private readonly prefix: string;
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: ProjectLockOptions,
  ) {
    this.prefix = `${options.prefix}project-lock:`;
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  private key(projectId: string): string {
    return this.prefix + projectId;
  }
  private waitersKey(projectId: string): string {
    return `${this.prefix}${projectId}:waiters`;
  }

  /** Takes or renews the lock of `projectId` for `owner`. */
  async acquire(projectId: string, owner: string): Promise<LockAttempt> {
    const outcome = Number(
      await this.redis.eval(ACQUIRE, 2, this.key(projectId), this.waitersKey(projectId), owner, String(this.ttlMs), String(Date.now())),
    );
    if (outcome === 1) return { acquired: true };
    const holder = (await this.redis.get(this.key(projectId))) ?? undefined;
    return { acquired: false, holder, retryInMs: -outcome };
  }

  /** Renews the lock when `owner` holds it; false when it does not (expired or taken). */
  async extend(projectId: string, owner: string): Promise<boolean> {
    const current = await this.redis.get(this.key(projectId));
    if (current !== owner) return false;
    return (await this.acquire(projectId, owner)).acquired;
  }

  /**
   * Releases the lock if `owner` holds it (and forgets `owner` as a waiter). Returns whether
   * it was released and the intent that has waited longest for the project, so the caller
   * can wake it instead of letting it sleep out its retry delay.
   */
  async release(projectId: string, owner: string): Promise<{ released: boolean; next: string | undefined }> {
    const [released, next] = (await this.redis.eval(RELEASE, 2, this.key(projectId), this.waitersKey(projectId), owner)) as [number, string | null];
    return { released: released === 1, next: next ?? undefined };
  }

  /** The intent holding the project's lock, if any. */
  async holder(projectId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(projectId))) ?? undefined;
  }
}
