import type { Redis } from 'ioredis';
import { lexPage } from '@neonops/intents';
import { encodeFields, webhookKeys, webhookScript, type WebhookKeys } from './keys.js';
import {
  deliveryAttemptSchema,
  deliveryRecordSchema,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryView,
  type EventType,
} from './schemas.js';

const CREATE = webhookScript('create-delivery-2.lua');
const RECORD_ATTEMPT = webhookScript('record-attempt-4.lua');
const FAIL = webhookScript('fail-delivery-3.lua');
const RESTART = webhookScript('restart-delivery-2.lua');
const RESCHEDULE = webhookScript('reschedule-delivery-1.lua');

export interface DeliveryLogOptions {
  prefix: string;
  /** How long a delivery and its attempts are kept after their last change, in seconds. Default 30 days. */
  retentionSeconds?: number;
  /** Deliveries kept per subscription; each new one beyond it deletes the oldest (by event time). Default 10000. */
  maxDeliveriesPerSubscription?: number;
  /** Attempts kept per delivery (replays add attempts); the oldest beyond it are trimmed. Default 100. */
  maxAttemptsPerDelivery?: number;
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

/**
 * Who may change a delivery's status: the job of its current retry chain, while its
 * dispatcher holds the job's BullMQ lock (`token` at `lockKey`; without them only the chain
 * is checked, as after the job has failed).
 */
export interface DeliveryFence {
  jobId: string;
  lockKey?: string;
  token?: string;
}

/** How a fenced write ended: `fence_lost` (the lock moved on) and `superseded` (another chain) changed no status. */
export type FencedOutcome = 'done' | 'missing' | 'not_pending' | 'fence_lost' | 'superseded';

const OUTCOMES: Record<number, FencedOutcome> = { 1: 'done', 0: 'missing', [-1]: 'not_pending', [-2]: 'fence_lost', [-3]: 'superseded' };

function decode(hash: Record<string, string>): DeliveryRecord | undefined {
  if (hash.id === undefined) return undefined;
  const raw: Record<string, unknown> = {};
  for (const k in hash) raw[k] = JSON.parse(hash[k] as string);
  return deliveryRecordSchema.parse(raw);
}

/** The job id of a delivery's current chain (records written before chains existed have none: their job id is the delivery id). */
export function currentJobId(record: DeliveryRecord): string {
  return record.jobId ?? record.id;
}

/**
 * The delivery log: one hash per delivery (event × subscription), a list of its attempts and
 * a per-subscription index ordered by event time. Request bodies are never stored, only what
 * the receiver answered; payloads are rebuilt from the intent when sent. Every key has a TTL
 * and a size bound (see `webhookKeys`); the index is pruned by the script that writes to it.
 */
export class DeliveryLog {
  private readonly keys: WebhookKeys;
  private readonly retentionSeconds: number;
  private readonly maxDeliveries: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    options: DeliveryLogOptions,
  ) {
    this.keys = webhookKeys(options.prefix);
    this.retentionSeconds = options.retentionSeconds ?? 30 * 86_400;
    this.maxDeliveries = options.maxDeliveriesPerSubscription ?? 10_000;
    this.maxAttempts = options.maxAttemptsPerDelivery ?? 100;
    this.now = options.now ?? (() => new Date());
  }

  /** Stores a new delivery; false when one with this id exists (the event was already published). */
  async create(record: DeliveryRecord): Promise<boolean> {
    const valid = deliveryRecordSchema.parse(record);
    const created = await CREATE.run(
      this.redis,
      [this.keys.delivery(valid.id), this.keys.deliveryIndex(valid.subscriptionId)],
      [this.keys.deliveryPrefix, this.retentionSeconds, this.maxDeliveries, valid.id, ...encodeFields(valid)],
    );
    return created === 1;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    return decode(await this.redis.hgetall(this.keys.delivery(id)));
  }

  async getForTeam(teamId: string, id: string): Promise<DeliveryRecord | undefined> {
    const record = await this.get(id);
    return record?.teamId === teamId ? record : undefined;
  }

  async attempts(id: string): Promise<DeliveryAttempt[]> {
    const raw = await this.redis.lrange(this.keys.attempts(id), 0, -1);
    return raw.map((r) => deliveryAttemptSchema.parse(JSON.parse(r)));
  }

  async view(record: DeliveryRecord): Promise<DeliveryView> {
    const { teamId: _teamId, jobId: _jobId, ...rest } = record;
    return { ...rest, attempts: await this.attempts(record.id) };
  }

  /**
   * Logs an attempt and sets the delivery's status (and next attempt time while pending),
   * the status only while `fence` still owns the delivery.
   */
  async recordAttempt(
    record: DeliveryRecord,
    attempt: DeliveryAttempt,
    outcome: { status: DeliveryStatus; nextAttemptAt?: Date },
    fence: DeliveryFence,
  ): Promise<FencedOutcome> {
    const deletes = outcome.nextAttemptAt ? [] : ['nextAttemptAt'];
    const result = await RECORD_ATTEMPT.run(
      this.redis,
      [this.keys.delivery(record.id), this.keys.attempts(record.id), this.keys.deliveryIndex(record.subscriptionId), fence.lockKey ?? this.keys.delivery(record.id)],
      [
        fence.token ?? '',
        JSON.stringify(fence.jobId),
        this.retentionSeconds,
        this.maxAttempts,
        JSON.stringify(deliveryAttemptSchema.parse(attempt)),
        deletes.length,
        ...deletes,
        ...encodeFields({ status: outcome.status, nextAttemptAt: outcome.nextAttemptAt?.toISOString(), updatedAt: this.now().toISOString() }),
      ],
    );
    return OUTCOMES[Number(result)] ?? 'missing';
  }

  /** Ends a pending delivery without an attempt (its subscription is gone or disabled, its intent expired, its job failed). */
  async fail(record: DeliveryRecord, fence: DeliveryFence): Promise<FencedOutcome> {
    const result = await FAIL.run(
      this.redis,
      [this.keys.delivery(record.id), this.keys.deliveryIndex(record.subscriptionId), fence.lockKey ?? this.keys.delivery(record.id)],
      [fence.token ?? '', JSON.stringify(fence.jobId), this.retentionSeconds, JSON.stringify(this.now().toISOString())],
    );
    return OUTCOMES[Number(result)] ?? 'missing';
  }

  /**
   * Starts a new retry chain (back to pending, a new job id) if the delivery's chain is
   * still `record`'s. `jobId` is the job to enqueue: the new chain's, or, when another caller
   * restarted it first (`raced`), that caller's (enqueueing it again is deduplicated by BullMQ).
   */
  async restart(
    record: DeliveryRecord,
    options: { nextAttemptAt: Date; replay: boolean },
  ): Promise<{ outcome: 'restarted' | 'raced'; jobId: string } | { outcome: 'missing' }> {
    const [code, jobId] = (await RESTART.run(
      this.redis,
      [this.keys.delivery(record.id), this.keys.deliveryIndex(record.subscriptionId)],
      [
        JSON.stringify(currentJobId(record)),
        this.retentionSeconds,
        JSON.stringify(options.nextAttemptAt.toISOString()),
        JSON.stringify(this.now().toISOString()),
        options.replay ? '1' : '0',
        record.id,
      ],
    )) as [number, string?];
    if (code === 0 || jobId === undefined) return { outcome: 'missing' };
    return { outcome: code === 1 ? 'restarted' : 'raced', jobId };
  }

  /** Moves the next attempt time of a pending delivery whose chain is `jobId`. */
  async reschedule(id: string, jobId: string, nextAttemptAt: Date): Promise<boolean> {
    const result = await RESCHEDULE.run(
      this.redis,
      [this.keys.delivery(id)],
      [JSON.stringify(jobId), JSON.stringify(nextAttemptAt.toISOString()), JSON.stringify(this.now().toISOString())],
    );
    return result === 1;
  }

  /** A subscription's deliveries, newest first, filtered by status and event type, with an opaque cursor. */
  async list(subscriptionId: string, query: ListDeliveriesQuery = {}): Promise<{ items: DeliveryRecord[]; nextCursor?: string }> {
    return lexPage(this.redis, {
      index: this.keys.deliveryIndex(subscriptionId),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      load: (ids) => this.getMany(ids),
      match: (record) => (!query.status || record.status === query.status) && (!query.eventType || record.eventType === query.eventType),
    });
  }

  /**
   * Deliveries of a subscription that did not succeed (`failed`, and `pending` ones, which
   * may have lost their job), whose event happened at or after `since`, oldest first.
   */
  async unfinishedSince(subscriptionId: string, since: Date): Promise<DeliveryRecord[]> {
    const floor = `[dlv_${since.getTime().toString(36).padStart(9, '0')}`;
    const out: DeliveryRecord[] = [];
    let min = floor;
    for (;;) {
      const ids = await this.redis.zrangebylex(this.keys.deliveryIndex(subscriptionId), min, '+', 'LIMIT', 0, 200);
      if (ids.length === 0) return out;
      for (const record of await this.getMany(ids)) if (record && record.status !== 'succeeded') out.push(record);
      min = `(${ids[ids.length - 1]}`;
      if (ids.length < 200) return out;
    }
  }

  /** Several deliveries in one pipeline, in the order of `ids` (undefined where one is gone). */
  async getMany(ids: readonly string[]): Promise<(DeliveryRecord | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.delivery(id));
    const hashes = (await pipeline.exec()) ?? [];
    return ids.map((_, i) => decode((hashes[i]?.[1] ?? {}) as Record<string, string>));
  }
}
