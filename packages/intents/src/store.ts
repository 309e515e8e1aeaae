import type { Redis } from 'ioredis';
import type { IntentKind } from './catalog.js';
import { intentIdFloor } from './ids.js';
import { lexPage } from './lex-page.js';
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

export type CreateOutcome = 'created' | 'cap_reached' | 'exists';

/** Fields the worker and the API may change after creation. */
export type IntentPatch = Partial<Pick<IntentRecord, 'status' | 'steps' | 'operationIds' | 'startedAt' | 'error' | 'cancelRequested'>>;

const TERMINAL_JSON = ['"succeeded"', '"failed"', '"cancelled"'];
const isTerminalLua = `local s = redis.call('HGET', KEYS[1], 'status')
local terminal = (s == '${TERMINAL_JSON[0]}' or s == '${TERMINAL_JSON[1]}' or s == '${TERMINAL_JSON[2]}')`;

// KEYS: intent, team index, team active set. ARGV: maxActive, id, pruneBelow, field, value, ...
const CREATE = `
if tonumber(ARGV[1]) > 0 and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
if ARGV[3] ~= '' then redis.call('ZREMRANGEBYLEX', KEYS[2], '-', '(' .. ARGV[3]) end
return 1`;

// KEYS: intent. ARGV: field, value, ... Refuses a missing or finished intent.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${isTerminalLua}
if terminal then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

// KEYS: intent, team active set, secrets. ARGV: retention seconds, id, field, value, ...
const FINISH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${isTerminalLua}
if terminal then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[1]))
redis.call('SREM', KEYS[2], ARGV[2])
return 1`;

function encode(fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

function decode(hash: Record<string, string>): IntentRecord | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) raw[k] = JSON.parse(v);
  return intentRecordSchema.parse(raw);
}

/**
 * Intent records in Redis. A record is a hash (one JSON-encoded field per property), so
 * the worker and the API can each change their own fields without read-modify-write.
 * Every team has an index of its intents (a sorted set ordered by id, i.e. by time) and a
 * set of its active (not finished) intents for the per-team cap. Finished intents expire
 * after the retention period; their index entries are pruned lazily.
 */
export class IntentStore {
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    options: IntentStoreOptions,
  ) {
    this.prefix = options.prefix;
    this.retentionSeconds = options.retentionSeconds ?? 30 * 24 * 3600;
    this.now = options.now ?? (() => new Date());
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

  /**
   * Stores a new intent and indexes it, atomically refusing it when the team already
   * has `maxActive` unfinished intents (0 or absent: no cap).
   */
  async create(record: IntentRecord, options: { maxActive?: number } = {}): Promise<CreateOutcome> {
    const valid = intentRecordSchema.parse(record);
    const pruneBelow = intentIdFloor(new Date(this.now().getTime() - this.retentionSeconds * 1000));
    const outcome = await this.redis.eval(
      CREATE,
      3,
      this.intentKey(valid.id),
      this.teamIndexKey(valid.teamId),
      this.teamActiveKey(valid.teamId),
      String(options.maxActive ?? 0),
      valid.id,
      pruneBelow,
      ...encode(valid),
    );
    return outcome === 1 ? 'created' : outcome === 0 ? 'cap_reached' : 'exists';
  }

  async get(id: string): Promise<IntentRecord | undefined> {
    return decode(await this.redis.hgetall(this.intentKey(id)));
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
      load: async (ids) => {
        const pipeline = this.redis.pipeline();
        for (const id of ids) pipeline.hgetall(this.intentKey(id));
        const hashes = (await pipeline.exec()) ?? [];
        return ids.map((_, i) => decode((hashes[i]?.[1] ?? {}) as Record<string, string>));
      },
      match: (record) => (!query.status || record.status === query.status) && (!query.kind || record.kind === query.kind),
    });
  }

  /** How many of the team's intents are not finished (queued, running or waiting). */
  async countActive(teamId: string): Promise<number> {
    return this.redis.scard(this.teamActiveKey(teamId));
  }

  /**
   * Changes an unfinished intent. Returns false when the intent is missing or already
   * finished (a finished intent never changes again).
   */
  async update(id: string, patch: IntentPatch): Promise<boolean> {
    const fields = encode({ ...patch, updatedAt: this.now().toISOString() });
    return (await this.redis.eval(UPDATE, 1, this.intentKey(id), ...fields)) === 1;
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
   * it from the team's active set and starts its retention clock. Returns false when it
   * was already finished (for example cancelled meanwhile) or is missing.
   */
  async finish(
    id: string,
    status: TerminalStatus,
    outcome: { result?: Record<string, unknown>; error?: IntentError; steps?: IntentStep[] } = {},
  ): Promise<boolean> {
    const record = await this.get(id);
    if (!record) return false;
    const now = this.now().toISOString();
    const fields = encode({ status, ...outcome, updatedAt: now, finishedAt: now });
    const done = await this.redis.eval(
      FINISH,
      3,
      this.intentKey(id),
      this.teamActiveKey(record.teamId),
      this.secretsKey(id),
      String(this.retentionSeconds),
      id,
      ...fields,
    );
    return done === 1;
  }

  /** Marks a running intent for cancellation; false when missing or finished. */
  async requestCancel(id: string): Promise<boolean> {
    return this.update(id, { cancelRequested: true });
  }

  /** Stores the sealed secret part of a result (see SecretBox); the record says `hasSecrets`. */
  async putSecrets(id: string, sealed: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.secretsKey(id), sealed)
      .hset(this.intentKey(id), 'hasSecrets', 'true')
      .exec();
  }

  async getSecrets(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.secretsKey(id))) ?? undefined;
  }
}
