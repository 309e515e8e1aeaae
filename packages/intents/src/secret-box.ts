import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** The configured secrets key is not 32 bytes of base64 or hex. */
export class InvalidSecretsKeyError extends Error {
  readonly code = 'invalid_secrets_key';
  constructor() {
    super('The secrets key must be 32 bytes, given as 64 hex characters or base64');
    this.name = 'InvalidSecretsKeyError';
  }
}

/** A sealed value could not be opened: wrong key, or it was tampered with. */
export class SecretOpenError extends Error {
  readonly code = 'secret_open_failed';
  constructor() {
    super('A sealed secret could not be opened (wrong key or corrupted data)');
    this.name = 'SecretOpenError';
  }
}

/** The 32 key bytes of a key written as 64 hex characters or base64; `undefined` when it is neither. */
function decodeKey(key: string): Buffer | undefined {
  const trimmed = key.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

function parseKey(key: string): Buffer {
  const bytes = decodeKey(key);
  if (!bytes) throw new InvalidSecretsKeyError();
  return bytes;
}

/** Whether `key` is usable by {@link SecretBox}: 32 bytes as 64 hex characters or base64. */
export const isValidSecretsKey = (key: string): boolean => decodeKey(key) !== undefined;

/** `SECRETS_KEY` as every config schema accepts it; the message never shows the value. */
export const secretsKeySchema = z.string().refine(isValidSecretsKey, 'SECRETS_KEY must be 32 bytes, as base64 or 64 hex characters');

/**
 * Seals secrets (passwords, connection URIs, API keys) for storage in Redis with
 * AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url. Only the API opens them, for the
 * owning team. The key comes from config; the box never reveals it (not even in inspect).
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: string) {
    this.#key = parseKey(key);
  }

  /** A new random key in the format the config expects (base64). */
  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string): unknown {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new SecretOpenError();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      return JSON.parse(text);
    } catch {
      throw new SecretOpenError();
    }
  }

  toJSON(): string {
    return '[SecretBox]';
  }
}
