import type { SecretBox } from '@neonops/intents';
import type { Redis } from 'ioredis';
import { newId } from './ids.js';
import { subscriptionRecordSchema, type EventFilter, type SubscriptionRecord } from './schemas.js';
import { generateSigningSecret } from './signing.js';

export interface SubscriptionStoreOptions {
  /** Prefix of every key (`neonops:`; tests use their own). */
  prefix: string;
  /** Seals signing secrets at rest (the service's SECRETS_KEY). */
  secretBox: SecretBox;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

export interface NewSubscription {
  url: string;
  events: EventFilter[];
  description?: string;
  includeSecrets?: boolean;
}

export type SubscriptionPatch = Partial<Pick<SubscriptionRecord, 'url' | 'events' | 'enabled' | 'description'>>;

/** The sealed secrets: the current one first, then the previous one until its overlap ends. */
interface SecretSet {
  current: string;
  previous?: { secret: string; expiresAt: string };
}

const SECRETS_FIELD = 'sealedSecrets';

function encode(fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}

function decode(hash: Record<string, string>): SubscriptionRecord | undefined {
  if (hash.id === undefined) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) if (k !== SECRETS_FIELD) raw[k] = JSON.parse(v);
  return subscriptionRecordSchema.parse(raw);
}

// KEYS: subscription. ARGV: field, value, ... Changes only an existing subscription.
const PATCH = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

// KEYS: subscription. ARGV: failingSince. Starts a failure run only on an existing subscription.
const START_FAILING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])`;

/**
 * Webhook subscriptions in Redis: one hash each (a JSON value per field, so the API and the
 * dispatcher change their own fields without clobbering each other) and a per-team index.
 * The signing secret is sealed with SecretBox and read only to sign.
 */
export class SubscriptionStore {
  private readonly prefix: string;
  private readonly box: SecretBox;
  private readonly now: () => Date;

  constructor(
    private readonly redis: Redis,
    options: SubscriptionStoreOptions,
  ) {
    this.prefix = options.prefix;
    this.box = options.secretBox;
    this.now = options.now ?? (() => new Date());
  }

  private key(id: string) {
    return `${this.prefix}webhook:sub:${id}`;
  }
  private teamKey(teamId: string) {
    return `${this.prefix}webhook:team:${teamId}`;
  }

  /** Stores a new enabled subscription; returns it and its secret (the only time the secret is returned in clear). */
  async create(teamId: string, input: NewSubscription): Promise<{ subscription: SubscriptionRecord; secret: string }> {
    const now = this.now();
    const record = subscriptionRecordSchema.parse({
      id: newId('wh', now),
      teamId,
      url: input.url,
      events: [...new Set(input.events)],
      description: input.description,
      includeSecrets: input.includeSecrets ?? false,
      enabled: true,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    const secret = generateSigningSecret();
    const secrets: SecretSet = { current: secret };
    await this.redis
      .multi()
      .hset(this.key(record.id), ...encode(record), SECRETS_FIELD, this.box.seal(secrets))
      .zadd(this.teamKey(teamId), 0, record.id)
      .exec();
    return { subscription: record, secret };
  }

  async get(id: string): Promise<SubscriptionRecord | undefined> {
    return decode(await this.redis.hgetall(this.key(id)));
  }

  /** The subscription if it belongs to `teamId`; another team's is as good as missing. */
  async getForTeam(teamId: string, id: string): Promise<SubscriptionRecord | undefined> {
    const record = await this.get(id);
    return record?.teamId === teamId ? record : undefined;
  }

  /** Every subscription of a team, oldest first. */
  async list(teamId: string): Promise<SubscriptionRecord[]> {
    const ids = await this.redis.zrange(this.teamKey(teamId), 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const hashes = (await pipeline.exec()) ?? [];
    const out: SubscriptionRecord[] = [];
    for (const [, hash] of hashes) {
      const record = decode((hash ?? {}) as Record<string, string>);
      if (record) out.push(record);
    }
    return out;
  }

  /** Changes url, events, enabled or description. Re-enabling clears the disable reason and the failure run. */
  async update(id: string, patch: SubscriptionPatch): Promise<SubscriptionRecord | undefined> {
    const fields = encode({ ...patch, ...(patch.events ? { events: [...new Set(patch.events)] } : {}), updatedAt: this.now().toISOString() });
    const ok = await this.redis.eval(PATCH, 1, this.key(id), ...fields);
    if (ok !== 1) return undefined;
    if (patch.enabled === true) await this.redis.hdel(this.key(id), 'disabledReason', 'disabledAt', 'failingSince');
    return this.get(id);
  }

  async delete(teamId: string, id: string): Promise<boolean> {
    const record = await this.getForTeam(teamId, id);
    if (!record) return false;
    await this.redis.multi().unlink(this.key(id)).zrem(this.teamKey(teamId), id).exec();
    return true;
  }

  /**
   * A new current secret; the old one keeps signing for `overlapSeconds` (every delivery in
   * the window carries both signatures). Returns the new secret, shown once.
   */
  async rotateSecret(id: string, overlapSeconds: number): Promise<string | undefined> {
    const secrets = await this.readSecrets(id);
    if (!secrets) return undefined;
    const secret = generateSigningSecret();
    const expiresAt = new Date(this.now().getTime() + overlapSeconds * 1000).toISOString();
    const next: SecretSet = overlapSeconds > 0 ? { current: secret, previous: { secret: secrets.current, expiresAt } } : { current: secret };
    const ok = await this.redis.eval(
      PATCH,
      1,
      this.key(id),
      SECRETS_FIELD,
      this.box.seal(next),
      ...encode({ updatedAt: this.now().toISOString(), previousSecretExpiresAt: overlapSeconds > 0 ? expiresAt : undefined }),
    );
    if (ok !== 1) return undefined;
    if (overlapSeconds === 0) await this.redis.hdel(this.key(id), 'previousSecretExpiresAt');
    return secret;
  }

  /** The secrets that sign a delivery now: the current one, plus the previous one during its overlap. */
  async signingSecrets(id: string): Promise<string[] | undefined> {
    const secrets = await this.readSecrets(id);
    if (!secrets) return undefined;
    const out = [secrets.current];
    if (secrets.previous && Date.parse(secrets.previous.expiresAt) > this.now().getTime()) out.push(secrets.previous.secret);
    return out;
  }

  /** Disables a subscription with a reason the team sees on it. */
  async disable(id: string, reason: string): Promise<void> {
    const now = this.now().toISOString();
    await this.redis.eval(PATCH, 1, this.key(id), ...encode({ enabled: false, disabledReason: reason, disabledAt: now, updatedAt: now }));
  }

  /** A successful delivery ends the subscription's run of failures. */
  async recordSuccess(id: string): Promise<void> {
    await this.redis.hdel(this.key(id), 'failingSince');
  }

  /**
   * A failed attempt: starts the run of failures if none is running, and disables the
   * subscription when the run has lasted `disableAfterSeconds`. Returns true when it disabled it.
   */
  async recordFailure(id: string, disableAfterSeconds: number): Promise<boolean> {
    const now = this.now();
    await this.redis.eval(START_FAILING, 1, this.key(id), JSON.stringify(now.toISOString()));
    const record = await this.get(id);
    if (!record?.enabled || !record.failingSince) return false;
    const failingMs = now.getTime() - Date.parse(record.failingSince);
    if (failingMs < disableAfterSeconds * 1000) return false;
    await this.disable(id, `Every delivery failed for ${Math.round(failingMs / 1000)} s (since ${record.failingSince}); re-enable it with PATCH { "enabled": true }`);
    return true;
  }

  private async readSecrets(id: string): Promise<SecretSet | undefined> {
    const sealed = await this.redis.hget(this.key(id), SECRETS_FIELD);
    return sealed === null ? undefined : (this.box.open(sealed) as SecretSet);
  }
}
