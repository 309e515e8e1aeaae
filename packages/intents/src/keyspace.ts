/**
 * How the service's Redis keys are laid out in hash slots, so that it runs on a Redis Cluster
 * as on one Redis. On a cluster, every Lua script, MULTI and multi-key command must touch keys
 * of one slot; a key's slot is the hash of its first `{…}` (its hash tag), else of the whole key.
 * Every key starts with the deployment's `KEY_PREFIX`. A prefix with a hash tag of its own
 * (`{neonops}:`) would put every key in that one slot: it works, without the spread below.
 *
 * - **The core slot**, `<prefix>{core}:…`: BullMQ's queues (its documented `{prefix}` pattern:
 *   a queue's keys live in one slot), the intent records and their indexes, idempotency and
 *   dedupe keys, the outbox, budget threshold marks, and the webhook subscriptions and
 *   deliveries. They share one slot because the scripts that keep the service's promise
 *   write across them atomically: an intent's record is written only while its BullMQ job's
 *   lock is the writer's (the fence), an intent's end and its outbox event in one script, a
 *   delivery's state only under its BullMQ job's lock. The core's load is bounded by Neon's
 *   rate limit (a few hundred intents a minute), far below what one master serves.
 * - **Keys that stand alone or move together by their own tag**, spread over the cluster:
 *   project locks and the read-through cache by project (`{<projectId>}`), schedule leases by
 *   schedule, the Neon rate budget (`{neon-rate}`), sources (`{sources}`), project ownership
 *   (`{ownership}`), managed teams (`{teams}`), and single keys (operation timings, pull-request
 *   states, preview index, hook delivery dedupe).
 *
 * Maintenance that visits all keys of a kind (the re-seal job) scans every master (`scanKeys`).
 */

/** The hash tag of the core slot. */
export const CORE_TAG = '{core}';

/** The prefix of every core-slot key: `<prefix>{core}:`. */
export function corePrefix(prefix: string): string {
  return `${prefix}${CORE_TAG}:`;
}

/** The prefix of a group of keys that must share a slot among themselves: `<prefix>{<tag>}:`. */
export function taggedPrefix(prefix: string, tag: string): string {
  return `${prefix}{${tag}}:`;
}
