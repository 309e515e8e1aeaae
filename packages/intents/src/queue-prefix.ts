/**
 * The BullMQ `prefix` that API and workers use for a service key prefix, so that queue keys
 * live under the same prefix as everything else (`neonops:` → `neonops:bull`, keys
 * `neonops:bull:intents:…`; a test prefix `test:ab12:` → `test:ab12:bull`). Both sides must
 * use this function, or the worker would listen on another queue than the API fills.
 */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}
