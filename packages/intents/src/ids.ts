import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Random bytes drawn from a pool refilled 4 KiB at a time (as `crypto.randomUUID` caches its
 * entropy): a `randomBytes(16)` per id was a call into OpenSSL per POST, 4 % of the API's CPU
 * under load. Each byte is used once.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function timePart(time: number): string {
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = ALPHABET[time % 32] + head;
    time = Math.floor(time / 32);
  }
  return head;
}

/**
 * A new intent id: `int_` + 10 characters of millisecond time + 16 random characters.
 * Ids sort by creation time, which the store's per-team index relies on.
 */
export function newIntentId(now: Date = new Date()): string {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let tail = '';
  // 256 is a multiple of 32: every character is equally likely.
  for (let i = poolOffset; i < poolOffset + 16; i++) tail += ALPHABET[(pool[i] as number) % 32];
  poolOffset += 16;
  return `int_${timePart(now.getTime())}${tail}`;
}

/** The smallest id that could have been made at `time`: for range queries by time. */
export function intentIdFloor(time: Date): string {
  return `int_${timePart(time.getTime())}`;
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
