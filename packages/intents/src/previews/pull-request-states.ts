import type { Redis } from 'ioredis';
import { z } from 'zod';
import { RedisScript } from '../redis-script.js';

const ADVANCE = RedisScript.load(new URL('../commands/pr-state-advance-1.lua', import.meta.url));

/** Which pull request a preview belongs to: the source that received it, the repository (by id) and the number. */
export const pullRequestRefSchema = z.strictObject({
  sourceId: z.string().min(1).max(64),
  /** GitHub's numeric repository id: stays the same when the repository is renamed or transferred. */
  repositoryId: z.number().int().positive(),
  number: z.number().int().positive(),
});
export type PullRequestRef = z.infer<typeof pullRequestRefSchema>;

/** The preview a pull request should have now, as its newest event says. */
export interface PullRequestState {
  state: 'open' | 'closed';
  /** The pull request's `updated_at` of that event (ms). */
  updatedAt: number;
  headSha: string;
}

export interface PullRequestStatesOptions {
  prefix: string;
  /**
   * How long a pull request's state is kept after its last event, in ms. It must outlive any
   * late or redelivered event (GitHub redelivers for 3 days). Default 30 days.
   */
  ttlMs?: number;
}

/**
 * The desired state of each pull request's preview branch (`open` or `closed`), advanced
 * only by newer events (the PR's `updated_at`, not arrival order). The API advances it when
 * it accepts a delivery; the worker reads it under the project lock right before it creates
 * or deletes a preview, so intents of one PR that run out of order still end as the newest
 * event says. Key: `<prefix>preview:pr:<sourceId>:<repositoryId>:<number>`, a hash with
 * a TTL (`ttlMs`, refreshed by every event).
 */
export class PullRequestStates {
  private readonly ttlMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: PullRequestStatesOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 30 * 86_400_000;
  }

  key(ref: PullRequestRef): string {
    return `${this.options.prefix}preview:pr:${ref.sourceId}:${ref.repositoryId}:${ref.number}`;
  }

  /** Records an event's state unless a newer one is known: `applied` or `stale`. */
  async advance(ref: PullRequestRef, next: PullRequestState): Promise<'applied' | 'stale'> {
    const outcome = await ADVANCE.run(this.redis, [this.key(ref)], [next.state, String(next.updatedAt), next.headSha, String(this.ttlMs)]);
    return outcome === 'stale' ? 'stale' : 'applied';
  }

  /** The newest known state, if any event of the PR was seen within the TTL. */
  async get(ref: PullRequestRef): Promise<PullRequestState | undefined> {
    const [state, updatedAt, headSha] = await this.redis.hmget(this.key(ref), 'state', 'updatedAt', 'headSha');
    if ((state !== 'open' && state !== 'closed') || updatedAt === null) return undefined;
    return { state, updatedAt: Number(updatedAt), headSha: headSha ?? '' };
  }
}
