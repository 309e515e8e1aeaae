/** Cursor pagination as async iterators. */

export interface PaginateOptions<Page, Item> {
  /** Fetches one page; `cursor` is undefined for the first one unless `startCursor` is set. */
  fetchPage(cursor: string | undefined): Promise<Page>;
  /** Items of a page. */
  items(page: Page): readonly Item[] | undefined;
  /** Cursor for the next page, if any (opaque). */
  nextCursor(page: Page): string | undefined;
  /** Cursor to start from (e.g. the caller's `query.cursor`). */
  startCursor?: string | undefined;
}

/**
 * Yields every item across pages. Stops on an empty page, a missing cursor,
 * or a cursor already used (a cursor that does not advance would otherwise
 * loop forever, yielding the same page again).
 */
export async function* paginate<Page, Item>(opts: PaginateOptions<Page, Item>): AsyncGenerator<Item, void, undefined> {
  const seen = new Set<string>();
  let cursor = opts.startCursor;
  if (cursor !== undefined) seen.add(cursor);
  for (;;) {
    const page = await opts.fetchPage(cursor);
    const items = opts.items(page) ?? [];
    if (items.length === 0) return;
    yield* items;
    const next = opts.nextCursor(page);
    if (next === undefined || next === '' || seen.has(next)) return;
    seen.add(next);
    cursor = next;
  }
}
