import type { Redis } from 'ioredis';
import { lexPage } from '@neonops/intents';
import {
  deliveryAttemptSchema,
  deliveryRecordSchema,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryView,
  type EventType,
} from './schemas.js';

export interface DeliveryLogOptions {
  prefix: string;
  /** How long a delivery and its attempts are kept after their last change. Default 30 days. */
  retentionSeconds?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

export interface ListDeliveriesQuery {
  status?: DeliveryStatus;
  eventType?: EventType;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** 1–100. Default 20. */
  limit?: number;
}

function encode(fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

function decode(hash: Record<string, string>): DeliveryRecord | undefined {
  if (hash.id === undefined) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) raw[k] = JSON.parse(v);
  return deliveryRecordSchema.parse(raw);
}

// KEYS: delivery, subscription index. ARGV: retention, id, field, value, ...
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1`;

/**
 * The delivery log: one hash per delivery (event × subscription), a list of its attempts and
 * a per-subscription index ordered by event time. Request bodies are never stored, only what
 * the receiver answered; payloads are rebuilt from the intent when sent.
 */
export class DeliveryLog {
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    options: DeliveryLogOptions,
  ) {
    this.prefix = options.prefix;
    this.retentionSeconds = options.retentionSeconds ?? 30 * 86_400;
    this.now = options.now ?? (() => new Date());
  }

  private key(id: string) {
    return `${this.prefix}webhook:dlv:${id}`;
  }
  private attemptsKey(id: string) {
    return `${this.prefix}webhook:dlv:${id}:attempts`;
  }
  private indexKey(subscriptionId: string) {
    return `${this.prefix}webhook:sub:${subscriptionId}:dlv`;
  }

  /** Stores a new delivery; false when one with this id exists (the event was already published). */
  async create(record: DeliveryRecord): Promise<boolean> {
    const valid = deliveryRecordSchema.parse(record);
    const created = await this.redis.eval(
      CREATE,
      2,
      this.key(valid.id),
      this.indexKey(valid.subscriptionId),
      String(this.retentionSeconds),
      valid.id,
      ...encode(valid),
    );
    return created === 1;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return decode(await this.redis.hgetall(this.key(id)));
  }

  async getForTeam(teamId: string, id: string): Promise<DeliveryRecord | undefined> {
    const record = await this.get(id);
    return record?.teamId === teamId ? record : undefined;
  }

  async attempts(id: string): Promise<DeliveryAttempt[]> {
    const raw = await this.redis.lrange(this.attemptsKey(id), 0, -1);
    return raw.map((r) => deliveryAttemptSchema.parse(JSON.parse(r)));
  }

  async view(record: DeliveryRecord): Promise<DeliveryView> {
    const { teamId: _teamId, ...rest } = record;
    return { ...rest, attempts: await this.attempts(record.id) };
  }

  /** Appends an attempt and sets the delivery's status (and next attempt time while pending). */
  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: { status: DeliveryStatus; nextAttemptAt?: Date }): Promise<void> {
    const fields = encode({
      status: outcome.status,
      nextAttemptAt: outcome.nextAttemptAt?.toISOString(),
      updatedAt: this.now().toISOString(),
    });
    const tx = this.redis
      .multi()
      .rpush(this.attemptsKey(id), JSON.stringify(deliveryAttemptSchema.parse(attempt)))
      .hset(this.key(id), ...fields)
      .expire(this.key(id), this.retentionSeconds)
      .expire(this.attemptsKey(id), this.retentionSeconds);
    if (!outcome.nextAttemptAt) tx.hdel(this.key(id), 'nextAttemptAt');
    await tx.exec();
  }

  /** Ends a delivery without an attempt (its subscription is gone or disabled, its intent expired). */
  async fail(id: string): Promise<void> {
    await this.redis
      .multi()
      .hset(this.key(id), ...encode({ status: 'failed', updatedAt: this.now().toISOString() }))
      .hdel(this.key(id), 'nextAttemptAt')
      .exec();
  }

  /** Puts a delivery back to pending for a replay; returns the replay count (the replay's job id suffix). */
  async markReplayed(id: string, nextAttemptAt: Date): Promise<number> {
    const [, , replays] =
      (await this.redis
        .multi()
        .hset(this.key(id), ...encode({ status: 'pending', nextAttemptAt: nextAttemptAt.toISOString(), updatedAt: this.now().toISOString() }))
        .expire(this.key(id), this.retentionSeconds)
        .hincrby(this.key(id), 'replays', 1)
        .exec()) ?? [];
    return Number(replays?.[1] ?? 0);
  }

  /** A subscription's deliveries, newest first, filtered by status and event type, with an opaque cursor. */
  async list(subscriptionId: string, query: ListDeliveriesQuery = {}): Promise<{ items: DeliveryRecord[]; nextCursor?: string }> {
    return lexPage(this.redis, {
      index: this.indexKey(subscriptionId),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      load: (ids) => this.getMany(ids),
      match: (record) => (!query.status || record.status === query.status) && (!query.eventType || record.eventType === query.eventType),
    });
  }

  /** Failed deliveries of a subscription whose event happened at or after `since`, oldest first. */
  async failedSince(subscriptionId: string, since: Date): Promise<DeliveryRecord[]> {
    const floor = `[dlv_${since.getTime().toString(36).padStart(9, '0')}`;
    const out: DeliveryRecord[] = [];
    let min = floor;
    for (;;) {
      const ids = await this.redis.zrangebylex(this.indexKey(subscriptionId), min, '+', 'LIMIT', 0, 200);
      if (ids.length === 0) return out;
      for (const record of await this.getMany(ids)) if (record?.status === 'failed') out.push(record);
      min = `(${ids[ids.length - 1]}`;
      if (ids.length < 200) return out;
    }
  }

  private async getMany(ids: string[]): Promise<(DeliveryRecord | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const hashes = (await pipeline.exec()) ?? [];
    return ids.map((_, i) => decode((hashes[i]?.[1] ?? {}) as Record<string, string>));
  }
}
