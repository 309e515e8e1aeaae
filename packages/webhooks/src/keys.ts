import { corePrefix, RedisScript } from '@neonops/intents';

/**
 * Every Redis key the webhooks package writes, under the service's key prefix in the core
 * slot (`<prefix>{core}:`), and what
 * bounds it. Keys with a TTL: delivery records, their attempts and each subscription's
 * delivery index (the retention, renewed by every write). Keys without one, bounded
 * otherwise: a subscription (lives until it is deleted, which also deletes its delivery log)
 * and a team's subscription index (one entry per subscription). The `webhooks` queue's keys
 * are BullMQ's (`<prefix>{core}:bull:webhooks:*`), bounded by the jobs' `removeOnComplete` /
 * `removeOnFail` and BullMQ's capped event stream.
 */
export function webhookKeys(servicePrefix: string) {
  // The core slot: a delivery's scripts check its BullMQ job's lock (see keyspace.ts).
  const prefix = corePrefix(servicePrefix);
  const deliveryPrefix = `${prefix}webhook:dlv:`;
  return {
    /** A subscription (hash). No TTL: deleted with the subscription. */
    subscription: (id: string) => `${prefix}webhook:sub:${id}`,
    /** A team's subscription ids (sorted set). No TTL: one entry per subscription; empty means gone. */
    teamSubscriptions: (teamId: string) => `${prefix}webhook:team:${teamId}`,
    /** A subscription's deliveries by event time (sorted set). TTL: the retention; at most `maxDeliveriesPerSubscription`. */
    deliveryIndex: (subscriptionId: string) => `${prefix}webhook:sub:${subscriptionId}:dlv`,
    /** A delivery (hash). TTL: the retention after its last change. */
    delivery: (id: string) => `${deliveryPrefix}${id}`,
    /** A delivery's attempts (list). TTL: as its delivery; at most `maxAttemptsPerDelivery`. */
    attempts: (id: string) => `${deliveryPrefix}${id}:attempts`,
    /** What the scripts prepend to a delivery id to reach its keys. */
    deliveryPrefix,
  };
}

export type WebhookKeys = ReturnType<typeof webhookKeys>;

/** Loads `src/commands/<file>` (named `<name>-<numberOfKeys>.lua`). */
export function webhookScript(file: string): RedisScript {
  return RedisScript.load(new URL(`./commands/${file}`, import.meta.url));
}

/** Field/value pairs of a hash whose values are JSON (`undefined` skipped). */
export function encodeFields(fields: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out.push(k, JSON.stringify(v));
  return out;
}
