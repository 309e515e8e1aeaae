import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** The configured secrets key is not 32 bytes of base64 or hex. */
export class InvalidSecretsKeyError extends Error {
  readonly code = 'invalid_secrets_key';
  constructor() {
    super('The secrets key must be 32 bytes, given as 64 hex characters or base64');
    this.name = 'InvalidSecretsKeyError';
  }
}

/** A sealed value could not be opened: wrong or retired key, another record's value, or tampered data. */
export class SecretOpenError extends Error {
  readonly code = 'secret_open_failed';
  constructor() {
    super('A sealed secret could not be opened (unknown key, sealed for another record, or corrupted data)');
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
 * `SECRETS_KEYS_PREVIOUS`: retired keys, comma-separated, that still open values sealed
 * before a rotation (until the re-seal job has moved them to the current key). Empty: none.
 */
export const previousSecretsKeysSchema = z
  .string()
  .transform((list) =>
    list
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
  )
  .refine((keys) => keys.every(isValidSecretsKey), 'SECRETS_KEYS_PREVIOUS must be a comma-separated list of 32-byte keys (base64 or 64 hex characters)');

/**
 * Keys that must never protect real data: the example key shipped in `docker-compose.yml`
 * (and the READMEs) for local trials. Compared by their bytes, so any spelling is caught.
 */
const EXAMPLE_KEYS = ['bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI='];

/**
 * Why a key is unfit outside local mode (the shipped example key, or every byte the same
 * like `00…00`), or `undefined` when it is fine. Never includes the key.
 */
export function weakSecretsKeyReason(key: string): string | undefined {
  const bytes = decodeKey(key);
  if (!bytes) return 'not a 32-byte key';
  if (EXAMPLE_KEYS.some((example) => decodeKey(example)?.equals(bytes))) return 'is the example key shipped with the repository';
  if (bytes.every((b) => b === bytes[0])) return 'is the same byte repeated';
  return undefined;
}

/** The id of a key: 8 hex characters of a SHA-256 of its bytes (names the key, reveals nothing of it). */
export function secretsKeyId(key: string): string {
  return createHash('sha256').update('neonops-secret-box-key-id:').update(parseKey(key)).digest('hex').slice(0, 8);
}

/**
 * What a sealed value belongs to, bound into it as AES-GCM additional data: a value copied
 * to another record does not open there.
 */
export const secretContext = {
  /** The sealed secrets (passwords, URIs, keys) of an intent's result. */
  intent: (intentId: string) => `intent:${intentId}`,
  /** The signing secrets of a webhook subscription. */
  subscription: (subscriptionId: string) => `webhook-subscription:${subscriptionId}`,
  /** The shared secret of a hook source. */
  source: (sourceId: string) => `source:${sourceId}`,
} as const;

interface Key {
  id: string;
  bytes: Buffer;
}

/**
 * Seals secrets (passwords, connection URIs, API keys, signing secrets) for storage with
 * AES-256-GCM: `v2.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts), with the record it
 * belongs to (see {@link secretContext}) as additional data. Seals with the current key;
 * opens with the current key or any previous one (key rotation), and still opens the older
 * `v1.<iv>.<tag>.<ciphertext>` values (no key id, no context) that Redis may hold from
 * before — the re-seal job rewrites those. The box never reveals a key (not even in inspect).
 */
export class SecretBox {
  readonly #current: Key;
  readonly #keys: Key[];

  /**
   * @param key the current key (`SECRETS_KEY`): seals every new value.
   * @param previousKeys retired keys (`SECRETS_KEYS_PREVIOUS`) that still open old values. Default none.
   */
  constructor(key: string, previousKeys: readonly string[] = []) {
    this.#current = { id: secretsKeyId(key), bytes: parseKey(key) };
    this.#keys = [this.#current, ...previousKeys.map((k) => ({ id: secretsKeyId(k), bytes: parseKey(k) }))];
  }

  /** A new random key in the format the config expects (base64). */
  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  /** The id of the key that seals (as written into each `v2` value). */
  get currentKeyId(): string {
    return this.#current.id;
  }

  /** Seals `value` (JSON) for the record named by `context` (see {@link secretContext}). */
  seal(value: unknown, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#current.bytes, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v2', this.#current.id, ...[iv, cipher.getAuthTag(), body].map((p) => p.toString('base64url'))].join('.');
  }

  /** Opens a value sealed for `context`; throws {@link SecretOpenError} for anything else. */
  open(sealed: string, context: string): unknown {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const [, keyId, iv, tag, body] = parts as [string, string, string, string, string];
      const key = this.#keys.find((k) => k.id === keyId);
      if (!key) throw new SecretOpenError();
      return decrypt(key.bytes, iv, tag, body, context);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      // Sealed before key ids and contexts: no id says which key, so each listed key is tried.
      const [, iv, tag, body] = parts as [string, string, string, string];
      for (const key of this.#keys) {
        try {
          return decrypt(key.bytes, iv, tag, body, undefined);
        } catch {
          // the next key
        }
      }
    }
    throw new SecretOpenError();
  }

  /** True when `sealed` is not in the current format under the current key (the re-seal job rewrites it). */
  needsReseal(sealed: string): boolean {
    return !sealed.startsWith(`v2.${this.#current.id}.`);
  }

  /** `sealed` opened (with any listed key) and sealed again with the current key for the same context. */
  reseal(sealed: string, context: string): string {
    return this.seal(this.open(sealed, context), context);
  }

  toJSON(): string {
    return '[SecretBox]';
  }
}

function decrypt(key: Buffer, iv: string, tag: string, body: string, context: string | undefined): unknown {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(text);
  } catch {
    throw new SecretOpenError();
  }
}
