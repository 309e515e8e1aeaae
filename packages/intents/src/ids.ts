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

/**
 * When an intent id was made (its millisecond time), or undefined for a string that is not
 * an intent id. Lets a reader that lost the record (the durable history, written from an
 * event alone) still say when the intent was created.
 */
export function intentIdTime(id: string): Date | undefined {
  if (!intentIdPattern.test(id)) return undefined;
  let time = 0;
  for (const char of id.slice(4, 14)) time = time * 32 + ALPHABET.indexOf(char);
  return new Date(time);
}
