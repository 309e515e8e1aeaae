import { corePrefix } from './keyspace.js';

/**
 * The BullMQ `prefix` that API and workers use for a service key prefix, so that queue keys
 * live under the same prefix as everything else (`neonops:` → `neonops:{core}:bull`, keys
 * `neonops:{core}:bull:intents:…`; a test prefix `test:ab12:` → `test:ab12:{core}:bull`), in the
 * core hash slot with the records its jobs fence (BullMQ's `{prefix}` pattern for Redis Cluster). Both sides must
 * use this function, or the worker would listen on another queue than the API fills.
 */
export function bullPrefix(keyPrefix: string): string {
  return `${corePrefix(keyPrefix)}bull`;
}
