import { corePrefix } from './keyspace.js';
import type { Redis } from 'ioredis';
import { outboxKey } from './outbox/outbox.js';
import type { UsageThresholdCrossedEvent } from './outbox/outbox.js';
import { RedisScript } from './redis-script.js';

const EMIT = RedisScript.load(new URL('./commands/threshold-emit-2.lua', import.meta.url));

export interface ThresholdMarksOptions {
  /** Prefix of every key (the deployment's `KEY_PREFIX`). */
  prefix: string;
  /**
   * How long the marks of a period are kept after the period's end, in seconds: a tick that
   * runs just after midnight may still look at the month that ended. Default 7 days.
   */
  marginSeconds?: number;
}

/**
 * Which budget thresholds a team has been told about, per period, and the one way to tell
 * it: `emit` writes the mark and the `usage.threshold_crossed` outbox entry in one Lua script
 * (see `commands/threshold-emit-2.lua`), so that however many workers run the watch and
 * wherever one dies, a threshold is announced exactly once per period. The webhooks relay
 * delivers the entry at least once and its delivery id derives from the event, so the
 * receiver gets one signed delivery (retried with the same `webhook-id` if it fails).
 *
 * Keys: `<prefix>{core}:budget:<teamId>:<period>:thresholds` (hash, in the outbox's slot: see `keyspace.ts`), expiring at the period's end
 * plus `marginSeconds`: the only state kept, bounded by the number of teams × 2 months.
 */
export class ThresholdMarks {
  private readonly outbox: string;
  private readonly marginSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: ThresholdMarksOptions,
  ) {
    this.outbox = outboxKey(options.prefix);
    this.marginSeconds = options.marginSeconds ?? 7 * 86_400;
  }

  /** The hash of a team's marks for a period. */
  key(teamId: string, period: string): string {
    return `${corePrefix(this.options.prefix)}budget:${teamId}:${period}:thresholds`;
  }

  /**
   * Announces `event` unless its threshold was already announced for its team and period.
   * Returns the outbox entry id, or undefined when nothing was written.
   */
  async emit(event: Omit<UsageThresholdCrossedEvent, 'type'>, periodEnd: Date): Promise<string | undefined> {
    const expireAt = Math.ceil(periodEnd.getTime() / 1000) + this.marginSeconds;
    const fields: UsageThresholdCrossedEvent = { type: 'usage.threshold_crossed', ...event };
    const flat = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
    const id = await EMIT.run(this.redis, [this.key(event.teamId, event.period), this.outbox], [String(expireAt), String(event.threshold), event.at, ...flat]);
    return typeof id === 'string' ? id : undefined;
  }

  /** The thresholds already announced for the team in the period, with when, ascending. */
  async announced(teamId: string, period: string): Promise<{ threshold: number; at: string }[]> {
    const hash = await this.redis.hgetall(this.key(teamId, period));
    return Object.entries(hash)
      .map(([threshold, at]) => ({ threshold: Number(threshold), at }))
      .sort((a, b) => a.threshold - b.threshold);
  }
}
