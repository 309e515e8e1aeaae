import type { Redis } from 'ioredis';

export interface ProjectLockOptions {
  /** Key prefix shared by every worker process. */
  prefix: string;
  /** Lock TTL in ms; each acquire or extend renews it, so a dead worker's lock frees itself. Default 30000. */
  ttlMs?: number;
}

// KEYS: lock. ARGV: owner, ttl. Takes a free lock, or renews one we already hold (re-entrant).
// Returns 1 when held by `owner` afterwards, else the lock's remaining TTL as a negative number.
const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return -math.max(1, redis.call('PTTL', KEYS[1]))`;

// KEYS: lock. ARGV: owner. Deletes the lock only when `owner` holds it.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

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

  /** Takes or renews the lock of `projectId` for `owner`. */
  async acquire(projectId: string, owner: string): Promise<LockAttempt> {
    const outcome = Number(await this.redis.eval(ACQUIRE, 1, this.key(projectId), owner, String(this.ttlMs)));
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

  /** Releases the lock if `owner` holds it. */
  async release(projectId: string, owner: string): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, 1, this.key(projectId), owner)) === 1;
  }

  /** The intent holding the project's lock, if any. */
  async holder(projectId: string): Promise<string | undefined> {
    return (await this.redis.get(this.key(projectId))) ?? undefined;
  }
}
