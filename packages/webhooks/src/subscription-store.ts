import { secretContext, type ResealTarget, type SecretBox } from '@neonops/intents';
import type { Redis } from 'ioredis';
import { newId } from './ids.js';
import { encodeFields as encode, webhookKeys, webhookScript, type WebhookKeys } from './keys.js';
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

/** Opened secret sets a store keeps (one per subscription it signs for, oldest dropped first). */
const OPENED_CACHE_SIZE = 1000;

function decode(hash: Record<string, string>): SubscriptionRecord | undefined {
  if (hash.id === undefined) return undefined;
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) if (k !== SECRETS_FIELD) raw[k] = JSON.parse(v);
  return subscriptionRecordSchema.parse(raw);
}

/**
 * Where the re-seal job finds the sealed signing secrets: the `sealedSecrets` field of each
 * subscription hash `<prefix>webhook:sub:<id>` (bound to the subscription id).
 */
export function subscriptionSecretsTarget(prefix: string): ResealTarget {
  const head = webhookKeys(prefix).subscription('');
  return {
    name: 'webhook signing secrets',
    match: `${head.replace(/[*?[\]\\]/g, '\\$&')}*`,
    layout: { type: 'hash-field', field: SECRETS_FIELD },
    contextOf: (key) => {
      const id = key.slice(head.length);
      return id !== '' && !id.includes(':') ? secretContext.subscription(id) : undefined;
    },
  };
}

const PATCH = webhookScript('patch-subscription-1.lua');
const START_FAILING = webhookScript('start-failing-1.lua');
const DELETE = webhookScript('delete-subscription-3.lua');

/** Deliveries one call of the delete script removes, so that a long log never blocks Redis for long. */
const DELETE_BATCH = 500;

/**
 * Webhook subscriptions in Redis: one hash each (a JSON value per field, so the API and the
 * dispatcher change their own fields without clobbering each other) and a per-team index.
 * The signing secret is sealed with SecretBox and read only to sign.
 */
export class SubscriptionStore {
  private readonly keys: WebhookKeys;
  private readonly box: SecretBox;
  private readonly now: () => Date;
  /**
   * Opened secret sets by subscription and sealed text: every delivery signs, and opening
   * (AES-GCM and a parse) was a visible share of a delivery's CPU. A rotation or a re-seal
   * changes the sealed text, so a stale entry is never used; at most {@link OPENED_CACHE_SIZE}.
   */
  private readonly opened = new Map<string, SecretSet>();

  constructor(
    private readonly redis: Redis,
    options: SubscriptionStoreOptions,
  ) {
    this.keys = webhookKeys(options.prefix);
    this.box = options.secretBox;
    this.now = options.now ?? (() => new Date());
  }

  private key(id: string) {
    return this.keys.subscription(id);
  }
  private teamKey(teamId: string) {
    return this.keys.teamSubscriptions(teamId);
  }

  /** Runs the patch script: `fields` set, `deletes` removed, on an existing subscription only. */
  private async patch(id: string, fields: string[], deletes: string[] = []): Promise<boolean> {
    return (await PATCH.run(this.redis, [this.key(id)], [deletes.length, ...deletes, ...fields])) === 1;
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
      .hset(this.key(record.id), ...encode(record), SECRETS_FIELD, this.box.seal(secrets, secretContext.subscription(record.id)))
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
    const cleared = patch.enabled === true ? ['disabledReason', 'disabledAt', 'failingSince'] : [];
    if (!(await this.patch(id, fields, cleared))) return undefined;
    return this.get(id);
  }

  /**
   * Deletes the subscription and its delivery log (records and attempts). Jobs of its
   * pending deliveries find nothing and send nothing.
   */
  async delete(teamId: string, id: string): Promise<boolean> {
    const record = await this.getForTeam(teamId, id);
    if (!record) return false;
    const keys = [this.key(id), this.teamKey(teamId), this.keys.deliveryIndex(id)];
    while (Number(await DELETE.run(this.redis, keys, [id, this.keys.deliveryPrefix, DELETE_BATCH])) > 0);
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
    const ok = await this.patch(
      id,
      [
        SECRETS_FIELD,
        this.box.seal(next, secretContext.subscription(id)),
        ...encode({ updatedAt: this.now().toISOString(), previousSecretExpiresAt: overlapSeconds > 0 ? expiresAt : undefined }),
      ],
      overlapSeconds > 0 ? [] : ['previousSecretExpiresAt'],
    );
    return ok ? secret : undefined;
  }

  /** The secrets that sign a delivery now: the current one, plus the previous one during its overlap. */
  async signingSecrets(id: string): Promise<string[] | undefined> {
    return this.signingSecretsOf(id, await this.readSecrets(id));
  }

  /**
   * The subscription and the secrets that sign its deliveries now, from one read of its hash
   * (a delivery needs both: one command instead of two).
   */
  async getWithSigningSecrets(id: string): Promise<{ subscription?: SubscriptionRecord; secrets?: string[] }> {
    const hash = await this.redis.hgetall(this.key(id));
    const subscription = decode(hash);
    const sealed = hash[SECRETS_FIELD];
    const secrets = sealed === undefined ? undefined : this.signingSecretsOf(id, this.open(id, sealed));
    return { ...(subscription ? { subscription } : {}), ...(secrets ? { secrets } : {}) };
  }

  private signingSecretsOf(id: string, secrets: SecretSet | undefined): string[] | undefined {
    if (!secrets) return undefined;
    const out = [secrets.current];
    if (secrets.previous && Date.parse(secrets.previous.expiresAt) > this.now().getTime()) out.push(secrets.previous.secret);
    return out;
  }

  /** Disables a subscription with a reason the team sees on it. */
  async disable(id: string, reason: string): Promise<void> {
    const now = this.now().toISOString();
    await this.patch(id, encode({ enabled: false, disabledReason: reason, disabledAt: now, updatedAt: now }));
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
    await START_FAILING.run(this.redis, [this.key(id)], [JSON.stringify(now.toISOString())]);
    const record = await this.get(id);
    if (!record?.enabled || !record.failingSince) return false;
    const failingMs = now.getTime() - Date.parse(record.failingSince);
    if (failingMs < disableAfterSeconds * 1000) return false;
    await this.disable(id, `Every delivery failed for ${Math.round(failingMs / 1000)} s (since ${record.failingSince}); re-enable it with PATCH { "enabled": true }`);
    return true;
  }

  private async readSecrets(id: string): Promise<SecretSet | undefined> {
    const sealed = await this.redis.hget(this.key(id), SECRETS_FIELD);
    return sealed === null ? undefined : this.open(id, sealed);
  }

  private open(id: string, sealed: string): SecretSet {
    const key = `${id}\n${sealed}`;
    const cached = this.opened.get(key);
    if (cached) return cached;
    const secrets = this.box.open(sealed, secretContext.subscription(id)) as SecretSet;
    if (this.opened.size >= OPENED_CACHE_SIZE) this.opened.delete(this.opened.keys().next().value!);
    this.opened.set(key, secrets);
    return secrets;
  }
}
