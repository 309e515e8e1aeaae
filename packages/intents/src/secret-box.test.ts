import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { InvalidSecretsKeyError, isValidSecretsKey, SecretBox, SecretOpenError } from './secret-box.js';

describe('SecretBox', () => {
  const key = SecretBox.generateKey();

  it('seals and opens a value; the sealed text does not contain it', () => {
    const box = new SecretBox(key);
    const secret = { password: 'hunter2-very-secret', uri: 'postgresql://u:hunter2-very-secret@h/db' };
    const sealed = box.seal(secret);
    expect(sealed).not.toContain('hunter2');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(box.open(sealed)).toEqual(secret);
    expect(box.seal(secret)).not.toBe(sealed);
  });

  it('refuses a wrong key and tampered data', () => {
    const sealed = new SecretBox(key).seal('x');
    expect(() => new SecretBox(SecretBox.generateKey()).open(sealed)).toThrow(SecretOpenError);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => new SecretBox(key).open(parts.join('.'))).toThrow(SecretOpenError);
    expect(() => new SecretBox(key).open('garbage')).toThrow(SecretOpenError);
  });

  it('accepts hex keys, refuses short ones, and never shows its key', () => {
    const hex = Buffer.from(key, 'base64').toString('hex');
    expect(new SecretBox(hex).open(new SecretBox(key).seal(1))).toBe(1);
    expect(() => new SecretBox('c2hvcnQ=')).toThrow(InvalidSecretsKeyError);
    const box = new SecretBox(key);
    expect(inspect(box)).not.toContain(key);
    expect(JSON.stringify({ box })).not.toContain(key);
  });

  it('tells valid keys from invalid ones', () => {
    expect(isValidSecretsKey('00'.repeat(32))).toBe(true);
    expect(isValidSecretsKey(SecretBox.generateKey())).toBe(true);
    expect(isValidSecretsKey(Buffer.alloc(16).toString('base64'))).toBe(false);
    expect(isValidSecretsKey('not base64 !!')).toBe(false);
  });
});
