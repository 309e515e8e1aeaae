import { createCipheriv, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  InvalidSecretsKeyError,
  isValidSecretsKey,
  previousSecretsKeysSchema,
  SecretBox,
  secretContext,
  secretsKeyId,
  SecretOpenError,
  weakSecretsKeyReason,
} from './secret-box.js';

/** A value in the format sealed before key ids and contexts (`v1.<iv>.<tag>.<body>`), as old Redis data holds it. */
function sealV1(key: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

describe('SecretBox', () => {
  const key = SecretBox.generateKey();
  const ctx = secretContext.intent('int_1');

  it('seals and opens a value; the sealed text carries the key id, not the value', () => {
    const box = new SecretBox(key);
    const secret = { password: 'hunter2-very-secret', uri: 'postgresql://u:hunter2-very-secret@h/db' };
    const sealed = box.seal(secret, ctx);
    expect(sealed).not.toContain('hunter2');
    expect(sealed.startsWith(`v2.${secretsKeyId(key)}.`)).toBe(true);
    expect(box.currentKeyId).toBe(secretsKeyId(key));
    expect(box.open(sealed, ctx)).toEqual(secret);
    expect(box.seal(secret, ctx)).not.toBe(sealed);
  });

  it('a value copied to another record (another context) does not open there', () => {
    const box = new SecretBox(key);
    const sealed = box.seal({ password: 'p' }, secretContext.intent('int_1'));
    expect(() => box.open(sealed, secretContext.intent('int_2'))).toThrow(SecretOpenError);
    expect(() => box.open(sealed, secretContext.subscription('int_1'))).toThrow(SecretOpenError);
    const forSub = box.seal({ current: 's' }, secretContext.subscription('wh_1'));
    expect(() => box.open(forSub, secretContext.subscription('wh_2'))).toThrow(SecretOpenError);
    expect(() => box.open(forSub, secretContext.source('wh_1'))).toThrow(SecretOpenError);
    expect(box.open(forSub, secretContext.subscription('wh_1'))).toEqual({ current: 's' });
  });

  it('refuses an unknown key, tampered data, a short tag and garbage', () => {
    const sealed = new SecretBox(key).seal('x', ctx);
    expect(() => new SecretBox(SecretBox.generateKey()).open(sealed, ctx)).toThrow(SecretOpenError);
    const parts = sealed.split('.');
    const tampered = [...parts];
    tampered[4] = Buffer.from('tampered').toString('base64url');
    expect(() => new SecretBox(key).open(tampered.join('.'), ctx)).toThrow(SecretOpenError);
    const shortTag = [...parts];
    shortTag[3] = Buffer.from(parts[3] ?? '', 'base64url').subarray(0, 4).toString('base64url');
    expect(() => new SecretBox(key).open(shortTag.join('.'), ctx)).toThrow(SecretOpenError);
    const otherId = [...parts];
    otherId[1] = '00000000';
    expect(() => new SecretBox(key).open(otherId.join('.'), ctx)).toThrow(SecretOpenError);
    expect(() => new SecretBox(key).open('garbage', ctx)).toThrow(SecretOpenError);
    expect(() => new SecretBox(key).open('v2.a.b.c', ctx)).toThrow(SecretOpenError);
  });

  it('rotation: a new current key opens values sealed with a listed previous key, and seals with the new one', () => {
    const old = new SecretBox(key);
    const sealed = old.seal({ password: 'p' }, ctx);
    const next = SecretBox.generateKey();
    const rotated = new SecretBox(next, [key]);
    expect(rotated.open(sealed, ctx)).toEqual({ password: 'p' });
    expect(rotated.needsReseal(sealed)).toBe(true);
    const resealed = rotated.reseal(sealed, ctx);
    expect(resealed.startsWith(`v2.${secretsKeyId(next)}.`)).toBe(true);
    expect(rotated.needsReseal(resealed)).toBe(false);
    // The old key dropped: the re-sealed value opens, the old one does not.
    const only = new SecretBox(next);
    expect(only.open(resealed, ctx)).toEqual({ password: 'p' });
    expect(() => only.open(sealed, ctx)).toThrow(SecretOpenError);
    // Re-sealing keeps the binding to the record.
    expect(() => only.open(resealed, secretContext.intent('int_2'))).toThrow(SecretOpenError);
  });

  it('opens values in the v1 format (no key id, no context) with the current or a previous key', () => {
    const v1 = sealV1(key, { password: 'old' });
    expect(new SecretBox(key).open(v1, ctx)).toEqual({ password: 'old' });
    expect(new SecretBox(SecretBox.generateKey(), [SecretBox.generateKey(), key]).open(v1, ctx)).toEqual({ password: 'old' });
    expect(() => new SecretBox(SecretBox.generateKey()).open(v1, ctx)).toThrow(SecretOpenError);
    expect(new SecretBox(key).needsReseal(v1)).toBe(true);
  });

  it('accepts hex keys (same id as the base64 spelling), refuses short ones, and never shows a key', () => {
    const hex = Buffer.from(key, 'base64').toString('hex');
    expect(secretsKeyId(hex)).toBe(secretsKeyId(key));
    expect(new SecretBox(hex).open(new SecretBox(key).seal(1, ctx), ctx)).toBe(1);
    expect(() => new SecretBox('c2hvcnQ=')).toThrow(InvalidSecretsKeyError);
    expect(() => new SecretBox(key, ['c2hvcnQ='])).toThrow(InvalidSecretsKeyError);
    const previous = SecretBox.generateKey();
    const box = new SecretBox(key, [previous]);
    for (const shown of [inspect(box), JSON.stringify({ box })]) {
      expect(shown).not.toContain(key);
      expect(shown).not.toContain(previous);
    }
  });

  it('tells valid keys from invalid ones', () => {
    expect(isValidSecretsKey('00'.repeat(32))).toBe(true);
    expect(isValidSecretsKey(SecretBox.generateKey())).toBe(true);
    expect(isValidSecretsKey(Buffer.alloc(16).toString('base64'))).toBe(false);
    expect(isValidSecretsKey('not base64 !!')).toBe(false);
  });

  it('parses SECRETS_KEYS_PREVIOUS as a comma-separated list of keys, naming no key in its error', () => {
    const a = SecretBox.generateKey();
    const b = '11'.repeat(32);
    expect(previousSecretsKeysSchema.parse(` ${a} ,${b},`)).toEqual([a, b]);
    expect(previousSecretsKeysSchema.parse('')).toEqual([]);
    const bad = previousSecretsKeysSchema.safeParse(`${a},short`);
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error)).not.toContain(a);
  });

  it('names weak keys: the shipped example key (any spelling) and one byte repeated', () => {
    const example = 'bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI=';
    expect(weakSecretsKeyReason(example)).toMatch(/example key/);
    expect(weakSecretsKeyReason(Buffer.from(example, 'base64').toString('hex'))).toMatch(/example key/);
    expect(weakSecretsKeyReason('00'.repeat(32))).toMatch(/same byte/);
    expect(weakSecretsKeyReason(Buffer.alloc(32, 0x41).toString('base64'))).toMatch(/same byte/);
    expect(weakSecretsKeyReason(SecretBox.generateKey())).toBeUndefined();
  });
});
