import type { Redis } from 'ioredis';
import { compareStreamIds } from './outbox.js';

/**
 * Trims the outbox to what every consumer group still needs: entries older than each
 * group's oldest pending entry (or, with none pending, its last delivered entry) are gone
 * for everyone. A stream without groups is left alone (no consumer has started yet: its
 * events wait for one). Returns how many entries were removed.
 *
 * This is the outbox's bound: it holds the events not yet handled by some group, plus one.
 */
export async function trimOutbox(redis: Redis, key: string): Promise<number> {
  let groups: unknown[];
  try {
    groups = (await redis.xinfo('GROUPS', key)) as unknown[];
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('ERR no such key')) return 0;
    throw error;
  }
  if (groups.length === 0) return 0;
  let floor: string | undefined;
  for (const raw of groups) {
    const info = pairs(raw as unknown[]);
    const name = String(info.name);
    let needed = String(info['last-delivered-id'] ?? '0-0');
    if (Number(info.pending ?? 0) > 0) {
      const [, oldest] = (await redis.xpending(key, name)) as [number, string | null, string | null, unknown];
      if (oldest) needed = oldest;
    }
    if (floor === undefined || compareStreamIds(needed, floor) < 0) floor = needed;
  }
  if (!floor || floor === '0-0') return 0;
  return redis.xtrim(key, 'MINID', floor);
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
