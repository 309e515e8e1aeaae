import { randomBytes } from 'node:crypto';
import { RedisScript } from '@neonops/intents';
import type { Redis } from 'ioredis';
import { holderTtl, releaseIfHolder } from './lock-holder.js';

export interface ProjectLockOptions {
  /** Key prefix shared by every worker process. */
  prefix: string;
  /** Lock TTL in ms; each acquire or extend renews it, so a dead worker's lock frees itself. Default 30000. */
  ttlMs?: number;
}

const ACQUIRE = RedisScript.load(new URL('./commands/project-lock-acquire-2.lua', import.meta.url));
const EXTEND = RedisScript.load(new URL('./commands/project-lock-extend-1.lua', import.meta.url));

export type LockAttempt = { acquired: true } | { acquired: false; holder: string | undefined; retryInMs: number };

/**
 * The token no longer holds the project's lock: it expired, or a later run of the intent
 * (or, after it expired, another intent) took it. Whoever held it must stop mutating; the
 * engine ends the run without writing and lets the job come back (retryable).
 */
export class ProjectLockLostError extends Error {
  readonly code = 'project_lock_lost';
  constructor(
    readonly projectId: string,
    readonly token: string,
  ) {
    super(`The lock of project ${projectId} is no longer held by this run (token ${token})`);
    this.name = 'ProjectLockLostError';
  }
}

/**
 * Serializes Neon mutations per project across every worker process: one Redis key per
 * project whose value is a fencing token, `<intentId>:<random>`. The holder's identity is
 * the intent; the token names one run of it (a job run, in any process). Acquire is
 * re-entrant for the same token and takes the lock over from a token the caller names as
 * its own earlier run (`previous`, kept in the intent's checkpoint) — so a stale process
 * of the same intent, whose token was replaced, can no longer extend, release or pass
 * {@link assertHeld}. Every write under the lock checks the token in Lua
 * (`src/commands/project-lock-*.lua`, `if-holder-2.lua`). A worker that dies leaves a lock that expires after
 * its TTL.
 *
 * Keys: `<prefix>project-lock:{<projectId>}` (the lock, TTL `ttlMs` or what `extend` set)
 * and `…:waiters` (a sorted set of waiting intent ids, outliving the lock by 2 × `ttlMs`);
 * both share the project's hash tag, so the scripts also run on Redis Cluster.
 */
export class ProjectLock {
  private readonly prefix: string;
  /** TTL of a fresh or renewed lock, in ms. */
  readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    options: ProjectLockOptions,
  ) {
    this.prefix = `${options.prefix}project-lock:`;
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  /** A fencing token for one run of `intentId`. */
  static newToken(intentId: string): string {
    return `${intentId}:${randomBytes(8).toString('hex')}`;
  }

  /** The intent a token belongs to. */
  static intentOf(token: string): string {
    const colon = token.lastIndexOf(':');
    return colon < 0 ? token : token.slice(0, colon);
  }

  /** The lock's Redis key (tests and tools look at it). */
  key(projectId: string): string {
    return `${this.prefix}{${projectId}}`;
  }
  private waitersKey(projectId: string): string {
    return `${this.key(projectId)}:waiters`;
  }

  /**
   * Takes or renews the lock of `projectId` for `token`; `previous` (a token of the same
   * intent, from its checkpoint) is taken over. When refused, the intent is recorded as a
   * waiter and `holder` names the holding intent.
   */
  async acquire(projectId: string, token: string, options: { previous?: string | undefined } = {}): Promise<LockAttempt> {
    const intentId = ProjectLock.intentOf(token);
    const previous = ownEarlierToken(token, options.previous);
    const [outcome, holder] = (await ACQUIRE.run(
      this.redis,
      [this.key(projectId), this.waitersKey(projectId)],
      [token, intentId, String(this.ttlMs), String(Date.now()), previous],
    )) as [number, string | null | undefined];
    if (outcome === 1) return { acquired: true };
    return { acquired: false, holder: holder ? ProjectLock.intentOf(holder) : undefined, retryInMs: -outcome };
  }

  /**
   * Renews the lock for `ttlMs` (default the lock's TTL) when `token` holds it — or when
   * `previous`, an earlier run of the same intent, holds it (then `token` takes it over).
   * False when neither does: the lock expired or was taken.
   */
  async extend(projectId: string, token: string, options: { ttlMs?: number; previous?: string | undefined } = {}): Promise<boolean> {
    const ttl = Math.max(1, Math.round(options.ttlMs ?? this.ttlMs));
    const held = await EXTEND.run(this.redis, [this.key(projectId)], [token, String(ttl), ownEarlierToken(token, options.previous)]);
    return Number(held) === 1;
  }

  /** Throws {@link ProjectLockLostError} unless `token` holds the lock right now. */
  async assertHeld(projectId: string, token: string): Promise<void> {
    if ((await holderTtl(this.redis, this.key(projectId), token)) <= 0) throw new ProjectLockLostError(projectId, token);
  }

  /**
   * Releases the lock if `token` holds it (and forgets its intent as a waiter). Returns
   * whether it was released and, then, the intent that has waited longest for the project,
   * so the caller can wake it instead of letting it sleep out its retry delay.
   */
  async release(projectId: string, token: string): Promise<{ released: boolean; next: string | undefined }> {
    return releaseIfHolder(this.redis, this.key(projectId), token, { key: this.waitersKey(projectId), id: ProjectLock.intentOf(token) });
  }

  /** The intent holding the project's lock, if any. */
  async holder(projectId: string): Promise<string | undefined> {
    const token = await this.redis.get(this.key(projectId));
    return token === null ? undefined : ProjectLock.intentOf(token);
  }
}

/** `previous` when it is another token of the same intent (a checkpoint never names someone else's), else ''. */
function ownEarlierToken(token: string, previous: string | undefined): string {
  if (!previous || previous === token) return '';
  return ProjectLock.intentOf(previous) === ProjectLock.intentOf(token) ? previous : '';
}
