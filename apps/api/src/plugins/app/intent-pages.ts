import type { ArchivedIntent } from '@neonops/durable-store';
import type { IntentRecord } from '@neonops/intents';

/** A page of `GET /v1/intents`: newest first; `nextCursor` (an intent id) when there may be more. */
export interface IntentPage<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * One page of a team's intents from both stores, as if they were one index ordered by id.
 *
 * Redis holds the intents of the retention window (active ones, and ended ones until they
 * expire); the history holds every ended intent. Both are read below the same cursor with the
 * same filters and the same `limit`, and the union of the two sorted pages, deduplicated by
 * id, is cut at `limit`: an id of the true page has fewer than `limit` ids above it in the
 * union, hence in its own store too, so it is in that store's page. When both hold an intent
 * Redis's record is shown (it is the same ended intent, and the source of any secrets).
 *
 * Redis may stop before `limit` (`lexPage` reads at most so many index entries per request,
 * then hands back a cursor): it has then only covered the ids down to its `nextCursor`, so
 * history rows below it are left for the next page, which starts there.
 */
export function mergeIntentPages(redis: IntentPage<IntentRecord>, archived: readonly ArchivedIntent[], limit: number): IntentPage<IntentRecord | ArchivedIntent> {
  const covered = redis.items.length < limit ? redis.nextCursor : undefined;
  const byId = new Map<string, IntentRecord | ArchivedIntent>();
  for (const intent of archived) if (covered === undefined || intent.id >= covered) byId.set(intent.id, intent);
  for (const intent of redis.items) byId.set(intent.id, intent);
  // Plain string order is byte order for ids (ASCII), as in Redis's index and the "C" collation.
  const items = [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, limit);
  if (items.length === limit) return { items, nextCursor: items[items.length - 1]!.id };
  return covered === undefined ? { items } : { items, nextCursor: covered };
}
