import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const key = randomBytes(32).toString('base64');

describe('loadConfig', () => {
  it('fills in documented defaults', () => {
    const config = loadConfig({ SECRETS_KEY: key });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'neonops:',
      teamsFile: 'teams.yaml',
      idempotencyTtlSeconds: 86_400,
      idempotencyInFlightTtlSeconds: 60,
      intentRetentionSeconds: 2_592_000,
      devMode: false,
      neon: { apiKey: undefined, baseUrl: 'https://console.neon.tech/api/v2' },
      bodyLimit: 65_536,
      logLevel: 'info',
      database: undefined,
    });
    expect(config.secretsKey).toBe(key);
  });

  it('reads NEON_API_KEY_ID as a list of key ids and refuses anything else', () => {
    expect(loadConfig({ SECRETS_KEY: key }).neon.serviceKeyIds).toEqual([]);
    expect(loadConfig({ SECRETS_KEY: key, NEON_API_KEY_ID: '123, 456' }).neon.serviceKeyIds).toEqual([123, 456]);
    expect(() => loadConfig({ SECRETS_KEY: key, NEON_API_KEY_ID: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRETS_KEY: key, NEON_API_KEY_ID: '-1' })).toThrow(/NEON_API_KEY_ID/);
  });

  it('reads every variable it documents', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      KEY_PREFIX: 'x:',
      TEAMS_FILE: '/etc/teams.json',
      IDEMPOTENCY_TTL_SECONDS: '60',
      INTENT_RETENTION_SECONDS: '120',
      SECRETS_KEY: 'ab'.repeat(32),
      NEON_API_KEY: 'k',
      NEON_BASE_URL: 'http://127.0.0.1:4010/api/v2',
      BODY_LIMIT: '1024',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_RETRY_AFTER_SECONDS: '9',
      DATABASE_URL: 'postgresql://app:pw@ep-x.neon.tech/neondb?sslmode=require',
      DATABASE_SCHEMA: 'neonops',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6380/2',
      keyPrefix: 'x:',
      teamsFile: '/etc/teams.json',
      idempotencyTtlSeconds: 60,
      intentRetentionSeconds: 120,
      neon: { apiKey: 'k', baseUrl: 'http://127.0.0.1:4010/api/v2' },
      bodyLimit: 1024,
      logLevel: 'warn',
      rateLimitRetryAfterSeconds: 9,
      database: { url: 'postgresql://app:pw@ep-x.neon.tech/neondb?sslmode=require', schema: 'neonops' },
    });
    expect(config.secretsKey).toBe('ab'.repeat(32));
  });

  it('requires SECRETS_KEY outside dev mode, and allows it missing in dev mode', () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/SECRETS_KEY/);
    expect(loadConfig({ DEV_MODE: 'true' }).secretsKey).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development' }).devMode).toBe(true);
  });

  it('refuses the example key and a one-byte key outside local mode; dev mode and the simulator (http://) accept them', () => {
    const example = 'bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI=';
    for (const weak of [example, 'ab'.repeat(32), Buffer.alloc(32).toString('base64')]) {
      let error: unknown;
      try {
        loadConfig({ SECRETS_KEY: weak });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['SECRETS_KEY']);
      expect((error as ConfigError).message).not.toContain(weak);
      expect(() => loadConfig({ SECRETS_KEY: weak, NODE_ENV: 'production', NEON_BASE_URL: 'https://console.neon.tech/api/v2' })).toThrow(/SECRETS_KEY/);
      expect(loadConfig({ SECRETS_KEY: weak, DEV_MODE: 'true' }).secretsKey).toBe(weak);
      expect(loadConfig({ SECRETS_KEY: weak, NODE_ENV: 'development' }).secretsKey).toBe(weak);
      expect(loadConfig({ SECRETS_KEY: weak, NEON_BASE_URL: 'http://sim:4010/api/v2' }).secretsKey).toBe(weak);
    }
  });

  it('reads SECRETS_KEYS_PREVIOUS (comma-separated keys) and refuses a bad entry without echoing it', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
    const previous = [Buffer.from(Array.from({ length: 32 }, (_, i) => 200 - i)).toString('base64'), '0123456789abcdef'.repeat(4)];
    expect(loadConfig({ SECRETS_KEY: key }).previousSecretsKeys).toEqual([]);
    expect(loadConfig({ SECRETS_KEY: key, SECRETS_KEYS_PREVIOUS: previous.join(',') }).previousSecretsKeys).toEqual(previous);
    expect(() => loadConfig({ SECRETS_KEY: key, SECRETS_KEYS_PREVIOUS: 'hunter2-old-key' })).toThrow(/SECRETS_KEYS_PREVIOUS/);
    expect(() => loadConfig({ SECRETS_KEY: key, SECRETS_KEYS_PREVIOUS: 'hunter2-old-key' })).not.toThrow(/hunter2/);
  });

  it('reads the request and connection timeouts (defaults 30 s and 120 s) and refuses non-positive ones', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64');
    expect(loadConfig({ SECRETS_KEY: key }).timeouts).toEqual({ requestMs: 30_000, connectionMs: 120_000 });
    expect(loadConfig({ SECRETS_KEY: key, REQUEST_TIMEOUT_MS: '5000', CONNECTION_TIMEOUT_MS: '90000' }).timeouts).toEqual({ requestMs: 5000, connectionMs: 90_000 });
    expect(() => loadConfig({ SECRETS_KEY: key, REQUEST_TIMEOUT_MS: '0' })).toThrow(/REQUEST_TIMEOUT_MS/);
  });

  it('names bad variables without echoing their values', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', SECRETS_KEY: 'too-short-secret-value', REDIS_URL: 'not a url', DATABASE_URL: 'mysql://u:db-password@x/y' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(issues).toEqual(['DATABASE_URL', 'PORT', 'REDIS_URL', 'SECRETS_KEY']);
    expect((error as ConfigError).message).not.toContain('too-short-secret-value');
    expect((error as ConfigError).message).not.toContain('db-password');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ SECRETS_KEY: key, PORT: '', NEON_API_KEY: '' })).toMatchObject({ port: 3000, neon: { apiKey: undefined } });
  });
});
