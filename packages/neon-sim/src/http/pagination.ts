import { badRequest } from './errors.js';

/** Parses an integer query value within Neon's documented range, or answers 400. */
export function parseLimit(raw: unknown, min: number, max: number, fallback: number | undefined): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'string' ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw badRequest(`limit must be an integer from ${min} to ${max}`);
  return value;
}

export function parseBoolean(raw: unknown, name: string): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw badRequest(`${name} must be true or false`);
}

/** A query value that may be repeated or comma-separated (`project_ids`, `metrics`). */
export function parseList(raw: unknown): string[] {
  const parts = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return parts.flatMap((p) => String(p).split(',')).map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * Neon's "cursor is the last id" pagination (projects, operations, consumption): the page after
 * the item whose id is `cursor`; an unknown cursor gives an empty page.
 */
export function pageAfterId<T>(items: T[], idOf: (item: T) => string, cursor: string | undefined, limit: number): { page: T[]; cursor?: string } {
  let start = 0;
  if (cursor !== undefined && cursor !== '') {
    const index = items.findIndex((item) => idOf(item) === cursor);
    start = index < 0 ? items.length : index + 1;
  }
  const page = items.slice(start, start + limit);
  const last = page.at(-1);
  return last === undefined ? { page } : { page, cursor: idOf(last) };
}

/** Opaque offset cursors for branch lists (`pagination.next`). */
export function encodeOffsetCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeOffsetCursor(cursor: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed && Number.isInteger(parsed.o) && Number(parsed.o) >= 0) {
      return Number(parsed.o);
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('cursor is invalid');
}
