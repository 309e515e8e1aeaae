import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { releaseIfHolder } from '../lock-holder.js';

/**
 * One tick at a time per schedule, across every worker process: a tick judges "is the
 * previous run's intent still active?" and then submits, which two ticks of the same
 * schedule running at once (a slow tick and the next one, or a re-delivered one) would both
 * answer "no" to. Key `<prefix>schedule-lease:{<scheduleId>}` holds the holder's token with a
 * TTL (`ttlMs`), so a worker that died frees it by itself; release checks the token (Lua).
 */
export class ScheduleLease {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlMs: number },
  ) {}

  private key(scheduleId: string): string {
    return `${this.options.prefix}schedule-lease:{${scheduleId}}`;
  }

  /** The lease's token, or undefined when another tick of the schedule holds it. */
  async acquire(scheduleId: string): Promise<string | undefined> {
    const token = randomBytes(12).toString('base64url');
    const set = await this.redis.set(this.key(scheduleId), token, 'PX', this.options.ttlMs, 'NX');
    return set === 'OK' ? token : undefined;
  }

  /** Frees the lease if `token` still holds it; false when it had expired (and maybe been taken). */
  async release(scheduleId: string, token: string): Promise<boolean> {
    return (await releaseIfHolder(this.redis, this.key(scheduleId), token)).released;
  }
}
