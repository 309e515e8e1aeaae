import { randomUUID } from 'node:crypto';
import { RedisScript } from '@neonops/intents';
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
  /** The request's fingerprint (kept so that completing needs no re-parse of `value`). */
  fingerprint: string;
}

export interface IdempotencyStoreOptions {
  /** How long a completed record (the stored response) is kept, in seconds. Default 86400 (24 h). */
  ttlSeconds?: number;
  /**
   * How long an in-flight claim lives, in seconds, in case its process dies before it
   * answers. Default 60. While it lives a retry gets 409; once it expires the key is free
   * again. The full `ttlSeconds` is set only when the response is stored. Keep it well
   * above the slowest request (the API answers within a few seconds or fails).
   */
  inFlightTtlSeconds?: number;
}

const script = (file: string) => RedisScript.load(new URL(`../../../commands/${file}`, import.meta.url));
const BEGIN = script('idempotency-begin-1.lua');
const COMPLETE = script('idempotency-complete-1.lua');
const RELEASE = script('idempotency-release-1.lua');

/**
 * Idempotency records (IETF draft-ietf-httpapi-idempotency-key-header, Stripe semantics):
 * the first request with a key writes an in-flight record (SET NX) holding its fingerprint,
 * with a short lease (`inFlightTtlSeconds`); on success it replaces it with the response,
 * kept for `ttlSeconds`; on failure it deletes it so the client may retry with the same key.
 * A process that dies mid-request leaves only the short lease behind.
 */
export class IdempotencyStore {
  private readonly ttlMs: string;
  private readonly inFlightTtlMs: string;

  constructor(
    private readonly redis: Redis,
    options: IdempotencyStoreOptions = {},
  ) {
    this.ttlMs = String((options.ttlSeconds ?? 86_400) * 1000);
    this.inFlightTtlMs = String((options.inFlightTtlSeconds ?? 60) * 1000);
  }

  async begin(redisKey: string, fingerprint: string): Promise<BeginOutcome> {
    const record: IdempotencyRecord = { state: 'in_flight', fingerprint, owner: randomUUID() };
    const value = JSON.stringify(record);
    const current = await withRedis(this.redis, () => BEGIN.run(this.redis, [redisKey], [value, this.inFlightTtlMs]));
    if (typeof current !== 'string') return { kind: 'started', lease: { redisKey, value, fingerprint } };
    return this.outcomeOf(current, fingerprint);
  }

  /** What a key's stored value means for a request with `fingerprint`: a replay, another body, or still in flight. */
  outcomeOf(current: string, fingerprint: string): Exclude<BeginOutcome, { kind: 'started' }> {
    const existing = recordSchema.parse(JSON.parse(current));
    if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (existing.state === 'in_flight') return { kind: 'in_flight' };
    return { kind: 'completed', response: existing.response };
  }

  /** The key's value as `begin` would find it, without claiming it (`undefined`: the key is free). */
  async peek(redisKey: string, fingerprint: string): Promise<Exclude<BeginOutcome, { kind: 'started' }> | undefined> {
    const current = await withRedis(this.redis, () => this.redis.get(redisKey));
    return current === null ? undefined : this.outcomeOf(current, fingerprint);
  }

  /**
   * What a write that claims the key in its own atomic step needs (see
   * `IntentStore.createClaiming`): the answer to store when the key is free. No in-flight
   * record is ever written: the key goes from free to answered in one script.
   */
  claimFor(redisKey: string, fingerprint: string, response: StoredResponse): { key: string; completedValue: string; ttlMs: number } {
    const record: IdempotencyRecord = { state: 'completed', fingerprint, response };
    return { key: redisKey, completedValue: JSON.stringify(record), ttlMs: Number(this.ttlMs) };
  }

  /**
   * What a write of the guarded resource needs to store `response` as the key's answer in
   * its own atomic step (see `IntentStore.create`): then no crash can separate the
   * resource from the answer that names it.
   */
  answerFor(lease: IdempotencyLease, response: StoredResponse): { key: string; inFlightValue: string; completedValue: string; ttlMs: number } {
    const record: IdempotencyRecord = { state: 'completed', fingerprint: lease.fingerprint, response };
    return { key: lease.redisKey, inFlightValue: lease.value, completedValue: JSON.stringify(record), ttlMs: Number(this.ttlMs) };
  }

  /** Stores the response for replays (full TTL); false when the lease was lost (expired meanwhile). */
  async complete(lease: IdempotencyLease, response: StoredResponse): Promise<boolean> {
    const record: IdempotencyRecord = { state: 'completed', fingerprint: lease.fingerprint, response };
    const done = await withRedis(this.redis, () =>
      COMPLETE.run(this.redis, [lease.redisKey], [lease.value, JSON.stringify(record), this.ttlMs]),
    );
    return done === 1;
  }

  /** Frees the key after a failed request, so a retry with the same key is handled anew. */
  async release(lease: IdempotencyLease): Promise<void> {
    await withRedis(this.redis, () => RELEASE.run(this.redis, [lease.redisKey], [lease.value]));
  }
}
