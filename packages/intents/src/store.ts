import type { Redis } from 'ioredis';
import type { IntentKind } from './catalog.js';
import { intentIdFloor } from './ids.js';
import { corePrefix } from './keyspace.js';
import { lexPage } from './lex-page.js';
import { outboxKey } from './outbox/outbox.js';
import { RedisScript } from './redis-script.js';
import {
  intentRecordSchema,
  isTerminalStatus,
  type IntentError,
  type IntentRecord,
  type IntentStatus,
  type IntentStep,
  type TerminalStatus,
} from './record.js';

export interface IntentStoreOptions {
  /** Prefix of every key, e.g. `neonops:`. Tests use a unique prefix each. */
  prefix: string;
  /** How long a finished intent (and its sealed secrets) is kept. Default: 30 days. */
  retentionSeconds?: number;
  /** Clock, for tests. Default: `() => new Date()`. */
  now?: () => Date;
}

export interface ListIntentsQuery {
  status?: IntentStatus;
  kind?: IntentKind;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1–100. Default 20. */
  limit?: number;
}

/** The pub/sub channel on which the store publishes the id of every intent that changed. */
export const intentEventsChannel = (prefix: string): string => `${prefix}intent-events`;

/** `lease_lost`: the request's idempotency claim expired before its intent was stored (nothing was written). */
export type CreateOutcome = 'created' | 'cap_reached' | 'exists' | 'lease_lost';

/**
 * A key naming the one intent a producer's event may make (see `IntentStore.create`): the
 * same key never makes a second intent while it lives, across crashes and retries.
 */
export interface DedupeCreate {
  /** The key's id within the team, e.g. `schedule:<scheduleId>:<tickTime>`; stored under `<prefix>{core}:dedupe:<teamId>:<key>`. */
  key: string;
  /** How long the key is kept, in ms: longer than any retry or re-delivery of the event that made it. */
  ttlMs: number;
}

/** Who an intent belongs to, when the caller knows it already (saves a read before `finish`). */
export interface IntentOwner {
  teamId: string;
  kind: IntentKind;
}

/** One entry of the deployment's active index: an unfinished intent and its team. */
export interface ActiveIntentRef {
  teamId: string;
  intentId: string;
}

/**
 * The active index's member of an intent: `<intentId>:<teamId>`. Intent ids have a fixed
 * length, sort by creation time and hold no `:`, so the index (all scores 0) is in creation
 * order by member, and a page resumes exactly after the last member seen, ties included.
 */
const activeMember = (ref: ActiveIntentRef): string => `${ref.intentId}:${ref.teamId}`;

/** Fields the worker and the API may change after creation. */
export type IntentPatch = Partial<
  Pick<IntentRecord, 'status' | 'steps' | 'operationIds' | 'resources' | 'undo' | 'startedAt' | 'error' | 'cancelRequested'>
>;

const script = (file: string) => RedisScript.load(new URL(`./commands/${file}`, import.meta.url));
const CREATE = script('create-6.lua');
const UPDATE = script('update-2.lua');
const PUT_SECRETS = script('put-secrets-3.lua');
const FINISH = script('finish-6.lua');

/**
 * The BullMQ job lock of the job that carries an intent, as its worker holds it. Writes made
 * with a fence succeed only while the lock still holds `token`: a worker that lost its job
 * (its lock expired and another worker took the job over) is refused in the same script as
 * the write, the way BullMQ's own scripts check a job's lock.
 */
export interface JobFence {
  /** The job's lock key (`<bull prefix>:intents:<job id>:lock`, see `intentJobLockKey`). */
  lockKey: string;
  /** The lock token the worker got with the job. */
  token: string;
}

/** A fenced write was refused: the job's lock is no longer the caller's (another worker has the job). */
export class JobFenceLostError extends Error {
  readonly code = 'job_fence_lost';
  constructor(readonly intentId: string) {
    super(`the job of intent ${intentId} is no longer held by this worker`);
    this.name = 'JobFenceLostError';
  }
}

/** The idempotency answer that `create` stores with the record, in the same script. */
export interface IdempotentCreate {
  /** The idempotency record's Redis key. */
  key: string;
  /** The in-flight value this request wrote when it claimed the key; the create is refused if it is gone. */
  inFlightValue: string;
  /** The completed record to store in its place (the answer replayed to a retry). */
  completedValue: string;
  /** TTL of the completed record in ms. */
  ttlMs: number;
}

/**
 * An Idempotency-Key claimed by `createClaiming` in the same script as the intent: a free key
 * gets `completedValue` (the answer) with the record, in one round trip — no in-flight claim
 * before, no completion after. A key that holds anything is handed back untouched.
 */
export interface IdempotentClaim {
  /** The idempotency record's Redis key. */
  key: string;
  /** The completed record to store (the answer replayed to a retry). */
  completedValue: string;
  /** TTL of the completed record in ms. */
  ttlMs: number;
}

/** What `createClaiming` did: as `create`, or `{ held }`: the key's current value (nothing was written). */
export type ClaimingCreateOutcome = Exclude<CreateOutcome, 'lease_lost'> | { held: string };

function encode(fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

/**
 * An intent's record as `IntentStore.getManyEncoded` returns it: each stored property's JSON
 * text by name (empty when the intent is gone).
 */
export type EncodedIntent = Record<string, string>;

/** The record from its stored fields (see {@link EncodedIntent}); undefined when there are none. */
export function decodeIntent(hash: EncodedIntent): IntentRecord | undefined {
  const raw: Record<string, unknown> = {};
  let empty = true;
  for (const k in hash) {
    raw[k] = JSON.parse(hash[k] as string);
    empty = false;
  }
  return empty ? undefined : intentRecordSchema.parse(raw);
}

/**
 * Intent records in Redis. A record is a hash (one JSON-encoded field per property), so
 * the worker and the API can each change their own fields without read-modify-write.
 * Every team has an index of its intents (a sorted set ordered by id, i.e. by time) and a
 * set of its active (not finished) intents for the per-team cap; the deployment has an
 * index of all active intents (for the sweeper that re-queues or ends intents whose job is
 * missing). Finishing an intent writes its event to the outbox in the same script.
 * Finished intents expire after the retention period; their index entries are pruned lazily.
 * Every script lives in `src/commands/`.
 */
export class IntentStore {
  /** The core slot's prefix (`<prefix>{core}:`, see `keyspace.ts`): every key of the store is in that slot. */
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly now: () => Date;
  /** The outbox stream that `finish` writes to (see `outboxKey`). */
  readonly outboxKey: string;
  /**
   * The pub/sub channel on which every change of an intent (update and finish) publishes the
   * intent's id, from the same script: followers (long-polls, SSE streams) re-read the record
   * then instead of polling. A notice can be missed (a reconnect); followers re-read then too.
   */
  readonly eventsChannel: string;

  constructor(
    private readonly redis: Redis,
    options: IntentStoreOptions,
  ) {
    this.prefix = corePrefix(options.prefix);
    this.retentionSeconds = options.retentionSeconds ?? 30 * 24 * 3600;
    this.now = options.now ?? (() => new Date());
    this.outboxKey = outboxKey(options.prefix);
    this.eventsChannel = intentEventsChannel(options.prefix);
  }

  private intentKey(id: string) {
    return `${this.prefix}intent:${id}`;
  }
  private secretsKey(id: string) {
    return `${this.prefix}intent:${id}:secrets`;
  }
  private teamIndexKey(teamId: string) {
    return `${this.prefix}team:${teamId}:intents`;
  }
  private teamActiveKey(teamId: string) {
    return `${this.prefix}team:${teamId}:active`;
  }
  private get activeIndexKey() {
    return `${this.prefix}intents:active`;
  }

  /**
   * Stores a new intent and indexes it, atomically refusing it when the team already
   * has `maxActive` unfinished intents (0 or absent: no cap). With `idempotency`, the
   * key's answer is stored in the same script, and only while the request's claim on
   * the key is still its own: a retry can never find the record without the answer.
   */
  async create(record: IntentRecord, options: { maxActive?: number; idempotency?: IdempotentCreate } = {}): Promise<CreateOutcome> {
    const outcome = await this.createOnce(record, options);
    return typeof outcome === 'object' ? 'exists' : outcome;
  }

  /**
   * Like `create`, and in the same script: the dedupe key is checked first and, when the
   * intent is stored, set to its id. A key that already made an intent answers
   * `{ duplicateOf }` (that intent's id) and writes nothing, even at the team's cap.
   */
  async createDeduped(
    record: IntentRecord,
    options: { maxActive?: number; dedupe: DedupeCreate },
  ): Promise<Exclude<CreateOutcome, 'lease_lost'> | { duplicateOf: string }> {
    const outcome = await this.createOnce(record, options);
    if (typeof outcome === 'object' && 'duplicateOf' in outcome) return outcome;
    // No idempotency key here: neither `lease_lost` nor a held key can happen.
    return typeof outcome === 'object' || outcome === 'lease_lost' ? 'exists' : outcome;
  }

  /**
   * Like `create` with an Idempotency-Key, but the key is claimed in the same script: a key
   * that already holds a value (the answer of an earlier request, or another request's
   * in-flight claim) answers `{ held: value }` and nothing is written, even at the team's cap
   * (a repeat is answered as before); a free key stores the intent and its answer at once.
   */
  async createClaiming(record: IntentRecord, options: { maxActive?: number; claim: IdempotentClaim }): Promise<ClaimingCreateOutcome> {
    const outcome = await this.createOnce(record, options);
    if (typeof outcome === 'object' && 'held' in outcome) return outcome;
    // No dedupe key and no lease here: neither a duplicate nor `lease_lost` can happen.
    return typeof outcome === 'object' || outcome === 'lease_lost' ? 'exists' : outcome;
  }

  /** The id of the intent a team's dedupe key made, if it made one (and the key still lives). */
  async dedupedIntentId(teamId: string, key: string): Promise<string | undefined> {
    return (await this.redis.get(this.dedupeKey(teamId, key))) ?? undefined;
  }

  /** A team's dedupe key: `<prefix>{core}:dedupe:<teamId>:<key>` (keys are per team). */
  dedupeKey(teamId: string, key: string) {
    return `${this.prefix}dedupe:${teamId}:${key}`;
  }

  private async createOnce(
    record: IntentRecord,
    options: { maxActive?: number; idempotency?: IdempotentCreate; claim?: IdempotentClaim; dedupe?: DedupeCreate },
  ): Promise<CreateOutcome | { duplicateOf: string } | { held: string }> {
    const valid = intentRecordSchema.parse(record);
    const pruneBelow = intentIdFloor(new Date(this.now().getTime() - this.retentionSeconds * 1000));
    const idem = options.claim ?? options.idempotency;
    const inFlightValue = options.idempotency?.inFlightValue ?? '';
    const outcome = await CREATE.run(
      this.redis,
      [
        this.intentKey(valid.id),
        this.teamIndexKey(valid.teamId),
        this.teamActiveKey(valid.teamId),
        this.activeIndexKey,
        idem?.key ?? this.intentKey(valid.id),
        options.dedupe ? this.dedupeKey(valid.teamId, options.dedupe.key) : this.intentKey(valid.id),
      ],
      [
        String(options.maxActive ?? 0),
        valid.id,
        pruneBelow,
        activeMember({ intentId: valid.id, teamId: valid.teamId }),
        inFlightValue,
        idem?.completedValue ?? '',
        String(idem?.ttlMs ?? 0),
        String(options.dedupe ? Math.max(1, Math.ceil(options.dedupe.ttlMs)) : 0),
        options.claim ? '1' : '0',
        ...encode(valid),
      ],
    );
    // A string is the id of the intent the dedupe key made before.
    if (typeof outcome === 'string') return { duplicateOf: outcome };
    // ['held', value]: the claimed Idempotency-Key already holds a value.
    if (Array.isArray(outcome)) return { held: String(outcome[1]) };
    switch (outcome) {
      case 1:
        return 'created';
      case 0:
        return 'cap_reached';
      case -2:
        return 'lease_lost';
      default:
        return 'exists';
    }
  }

  async get(id: string): Promise<IntentRecord | undefined> {
    return decodeIntent(await this.redis.hgetall(this.intentKey(id)));
  }

  /** Several intents in one round trip, in order; `undefined` for one that is gone. */
  async getMany(ids: readonly string[]): Promise<(IntentRecord | undefined)[]> {
    return (await this.getManyEncoded(ids)).map(decodeIntent);
  }

  /**
   * Several intents' stored fields, unparsed, in one round trip, in order (an empty object for
   * one that is gone): for a caller that only writes them out again as JSON (the webhook
   * payload). {@link decodeIntent} turns one into its record.
   */
  async getManyEncoded(ids: readonly string[]): Promise<EncodedIntent[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.intentKey(id));
    const hashes = (await pipeline.exec()) ?? [];
    return ids.map((_, i) => (hashes[i]?.[1] ?? {}) as EncodedIntent);
  }

  /** The intent if it belongs to `teamId`; another team's intent is as good as missing. */
  async getForTeam(teamId: string, id: string): Promise<IntentRecord | undefined> {
    const record = await this.get(id);
    return record?.teamId === teamId ? record : undefined;
  }

  /** A team's intents, newest first, filtered by status and kind, with an opaque cursor. */
  async list(teamId: string, query: ListIntentsQuery = {}): Promise<{ items: IntentRecord[]; nextCursor?: string }> {
    return lexPage(this.redis, {
      index: this.teamIndexKey(teamId),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      load: (ids) => this.getMany(ids),
      match: (record) => (!query.status || record.status === query.status) && (!query.kind || record.kind === query.kind),
    });
  }

  /** How many of the team's intents are not finished (queued, running or waiting). */
  async countActive(teamId: string): Promise<number> {
    return this.redis.scard(this.teamActiveKey(teamId));
  }

  /** Unfinished intents created before `createdBefore`, oldest first, after `after` (for the sweeper). */
  async listActive(options: { createdBefore: Date; limit: number; after?: ActiveIntentRef }): Promise<ActiveIntentRef[]> {
    const min = options.after ? `(${activeMember(options.after)}` : '-';
    const members = await this.redis.zrangebylex(this.activeIndexKey, min, `(${intentIdFloor(options.createdBefore)}`, 'LIMIT', 0, options.limit);
    return members.map((member) => {
      const cut = member.indexOf(':');
      return { intentId: member.slice(0, cut), teamId: member.slice(cut + 1) };
    });
  }

  /**
   * Drops an active-index entry whose record is gone (expired or deleted by hand), with its
   * team active-set entry, so it no longer holds a slot of the team's cap.
   */
  async forgetActive(ref: Pick<ActiveIntentRef, 'teamId' | 'intentId'>): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.activeIndexKey, activeMember(ref))
      .srem(this.teamActiveKey(ref.teamId), ref.intentId)
      .exec();
  }

  /**
   * Changes an unfinished intent. Returns false when the intent is missing or already
   * finished (a finished intent never changes again). With `fence`, throws
   * {@link JobFenceLostError} when the caller's job lock has moved on.
   */
  async update(id: string, patch: IntentPatch, fence?: JobFence): Promise<boolean> {
    const fields = encode({ ...patch, updatedAt: this.now().toISOString() });
    const outcome = await UPDATE.run(this.redis, [this.intentKey(id), fence?.lockKey ?? this.intentKey(id)], [fence?.token ?? '', this.eventsChannel, id, ...fields]);
    if (outcome === -2) throw new JobFenceLostError(id);
    return outcome === 1;
  }

  /** Replaces one step (by name) in the intent's steps, appending it if new. */
  async recordStep(id: string, step: IntentStep): Promise<boolean> {
    const record = await this.get(id);
    if (!record || isTerminalStatus(record.status)) return false;
    const steps = record.steps.some((s) => s.name === step.name)
      ? record.steps.map((s) => (s.name === step.name ? step : s))
      : [...record.steps, step];
    return this.update(id, { steps });
  }

  /**
   * Finishes an intent once: sets the terminal status with its result or error, removes
   * it from the active sets, starts its retention clock and writes its `intent.finished`
   * event to the outbox, all in one script. Returns false when it was already finished
   * (for example cancelled meanwhile) or is missing. With `fence`, throws
   * {@link JobFenceLostError} when the caller's job lock has moved on.
   */
  async finish(
    id: string,
    status: TerminalStatus,
    outcome: Pick<IntentPatch, 'steps' | 'resources' | 'undo'> & { result?: Record<string, unknown>; error?: IntentError } = {},
    options: { owner?: IntentOwner; fence?: JobFence } = {},
  ): Promise<boolean> {
    const owner = options.owner ?? (await this.get(id));
    if (!owner) return false;
    const now = this.now().toISOString();
    const fields = encode({ status, ...outcome, updatedAt: now, finishedAt: now });
    const done = await FINISH.run(
      this.redis,
      [
        this.intentKey(id),
        this.teamActiveKey(owner.teamId),
        this.secretsKey(id),
        this.activeIndexKey,
        this.outboxKey,
        options.fence?.lockKey ?? this.intentKey(id),
      ],
      [String(this.retentionSeconds), id, options.fence?.token ?? '', owner.teamId, owner.kind, status, now, this.eventsChannel, ...fields],
    );
    if (done === -2) throw new JobFenceLostError(id);
    return done === 1;
  }

  /** Marks a running intent for cancellation; false when missing or finished. */
  async requestCancel(id: string): Promise<boolean> {
    return this.update(id, { cancelRequested: true });
  }

  /**
   * Stores the sealed secret part of a result (see SecretBox) and marks the record
   * `hasSecrets`; refused (false) once the intent is finished or gone. The secrets expire
   * with their record.
   */
  async putSecrets(id: string, sealed: string, fence?: JobFence): Promise<boolean> {
    const outcome = await PUT_SECRETS.run(this.redis, [this.intentKey(id), this.secretsKey(id), fence?.lockKey ?? this.intentKey(id)], [fence?.token ?? '', sealed]);
    if (outcome === -2) throw new JobFenceLostError(id);
    return outcome === 1;
  }

  async getSecrets(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.secretsKey(id))) ?? undefined;
  }
}
