import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * A new intent id: `int_` + 10 characters of millisecond time + 16 random characters.
 * Ids sort by creation time, which the store's per-team index relies on.
 */
export function newIntentId(now: Date = new Date()): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(16);
  let tail = '';
  for (const b of bytes) tail += ALPHABET[b % 32];
  return `int_${head}${tail}`;
}

/** The smallest id that could have been made at `time`: for range queries by time. */
export function intentIdFloor(time: Date): string {
  return newIntentId(time).slice(0, 14);
}

export const intentIdPattern = /^int_[0-9a-hjkmnp-tv-z]{26}$/;
