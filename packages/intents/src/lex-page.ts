import type { Redis } from 'ioredis';

export interface LexPageOptions<T> {
  /** A sorted set whose members (all score 0) are time-ordered ids. */
  index: string;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, clamped to 1–100. Default 20. */
  limit?: number;
  /** Loads the records of ids, in order; `undefined` for one that expired. */
  load(ids: string[]): Promise<(T | undefined)[]>;
  /** Keeps a record on the page (filters). Default: all. */
  match?(record: T): boolean;
}

const BATCH = 100;
/** Entries read at most for one page, so a rare filter cannot turn one request into a full scan. */
const MAX_SCANNED = 2000;

/**
 * One page of records newest first from a per-owner index ordered by id, with filters and an
 * opaque cursor. Index entries whose record has expired are removed on the way.
 */
export async function lexPage<T>(redis: Redis, options: LexPageOptions<T>): Promise<{ items: T[]; nextCursor?: string }> {
  const limit = Math.min(Math.max(options.limit ?? 20, 1), 100);
  const items: T[] = [];
  let max = options.cursor ? `(${options.cursor}` : '+';
  for (let scanned = 0; items.length < limit && scanned < MAX_SCANNED; ) {
    const ids = await redis.zrevrangebylex(options.index, max, '-', 'LIMIT', 0, BATCH);
    if (ids.length === 0) return { items };
    scanned += ids.length;
    const records = await options.load(ids);
    const gone: string[] = [];
    for (const [i, id] of ids.entries()) {
      const record = records[i];
      if (record === undefined) {
        gone.push(id);
        continue;
      }
      if (options.match && !options.match(record)) continue;
      items.push(record);
      if (items.length === limit) return { items, nextCursor: id };
    }
    if (gone.length > 0) await redis.zrem(options.index, ...gone);
    max = `(${ids[ids.length - 1]}`;
    if (ids.length < BATCH) return { items };
  }
  return { items, nextCursor: max.slice(1) };
}
