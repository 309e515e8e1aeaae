import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { withRedis } from '../../../redis-errors.js';

/** The response kept for replays. */
export const storedResponseSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});
export type StoredResponse = z.infer<typeof storedResponseSchema>;

const recordSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('in_flight'), fingerprint: z.string(), owner: z.string() }),
  z.object({ state: z.literal('completed'), fingerprint: z.string(), response: storedResponseSchema }),
]);
type IdempotencyRecord = z.infer<typeof recordSchema>;

/** What `begin` found. `started` means this request now holds the key and must complete or release it. */
export type BeginOutcome =
  | { kind: 'started'; lease: IdempotencyLease }
  | { kind: 'in_flight' }
  | { kind: 'mismatch' }
  | { kind: 'completed'; response: StoredResponse };

export interface IdempotencyLease {
  redisKey: string;
  /** The exact in-flight value written; complete/release act only while it is still there. */
  value: string;
}

export interface IdempotencyStoreOptions {
  /** How long a completed record is kept, in seconds. Default 86400 (24 h). */
  ttlSeconds?: number;
  /**
   * How long an in-flight record may live, in seconds, in case its process dies before it
   * answers. Default: the same as `ttlSeconds`, so a key whose outcome is unknown is never
   * reused for a new intent (it answers 409 until it expires).
   */
  inFlightTtlSeconds?: number;
}

// Atomic "set if absent, else return what is there".
const BEGIN = `
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`;

// Replace or delete the record only while our in-flight value is still the one stored.
const COMPLETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * Idempotency records (IETF draft-ietf-httpapi-idempotency-key-header, Stripe semantics):
 * the first request with a key writes an in-flight record (SET NX) holding its fingerprint;
 * on success it replaces it with the response; on failure it deletes it so the client may
 * retry with the same key.
 */
export class IdempotencyStore {
  private readonly ttlMs: number;
  private readonly inFlightTtlMs: number;

  constructor(
    private readonly redis: Redis,
    options: IdempotencyStoreOptions = {},
  ) {
    this.ttlMs = (options.ttlSeconds ?? 86_400) * 1000;
    this.inFlightTtlMs = (options.inFlightTtlSeconds ?? options.ttlSeconds ?? 86_400) * 1000;
  }

  async begin(redisKey: string, fingerprint: string): Promise<BeginOutcome> {
    const record: IdempotencyRecord = { state: 'in_flight', fingerprint, owner: randomUUID() };
    const value = JSON.stringify(record);
    const current = await withRedis(this.redis, () => this.redis.eval(BEGIN, 1, redisKey, value, String(this.inFlightTtlMs)));
    if (typeof current !== 'string') return { kind: 'started', lease: { redisKey, value } };
    const existing = recordSchema.parse(JSON.parse(current));
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (existing.state === 'in_flight') return { kind: 'in_flight' };
    return { kind: 'completed', response: existing.response };
  }

  /** Stores the response for replays; false when the lease was lost (expired meanwhile). */
  async complete(lease: IdempotencyLease, response: StoredResponse): Promise<boolean> {
    const fingerprint = recordSchema.parse(JSON.parse(lease.value)).fingerprint;
    const record: IdempotencyRecord = { state: 'completed', fingerprint, response };
    const done = await withRedis(this.redis, () =>
      this.redis.eval(COMPLETE, 1, lease.redisKey, lease.value, JSON.stringify(record), String(this.ttlMs)),
    );
    return done === 1;
  }

  /** Frees the key after a failed request, so a retry with the same key is handled anew. */
  async release(lease: IdempotencyLease): Promise<void> {
    await withRedis(this.redis, () => this.redis.eval(RELEASE, 1, lease.redisKey, lease.value));
  }
}
