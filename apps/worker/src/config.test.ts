import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const required = { NEON_API_KEY: 'napi_test', SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)).toString('base64') };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'neonops:',
      neon: { apiKey: 'napi_test', baseUrl: 'https://console.neon.tech/api/v2' },
      concurrency: 16,
      rate: { perMinute: 700, perRoutePerSecond: 40 },
      retry: { maxAttempts: 8 },
      intentRetentionSeconds: 30 * 86_400,
      operationDeadlineMs: 900_000,
      projectLockTtlMs: 30_000,
      logLevel: 'info',
    });
    expect(config.removeOnComplete.age).toBeGreaterThan(0);
    expect(config.removeOnFail.count).toBeGreaterThan(0);
  });

  it('reads GitHub\'s API base and the preview sweep (a dry run unless told), refusing bad values by name', () => {
    expect(loadConfig(required)).toMatchObject({ githubApiUrl: 'https://api.github.com', previewSweep: { intervalMs: 3_600_000, dryRun: true } });
    const enterprise = loadConfig({ ...required, GITHUB_API_URL: 'https://ghe.example.com/api/v3', PREVIEW_SWEEP_INTERVAL_MS: '600000', PREVIEW_SWEEP_DRY_RUN: 'false' });
    expect(enterprise).toMatchObject({ githubApiUrl: 'https://ghe.example.com/api/v3', previewSweep: { intervalMs: 600_000, dryRun: false } });
    expect(() => loadConfig({ ...required, GITHUB_API_URL: 'not a url' })).toThrow(/GITHUB_API_URL/);
    expect(() => loadConfig({ ...required, PREVIEW_SWEEP_DRY_RUN: 'yes' })).toThrow(/PREVIEW_SWEEP_DRY_RUN/);
    expect(() => loadConfig({ ...required, PREVIEW_SWEEP_INTERVAL_MS: '0' })).toThrow(/PREVIEW_SWEEP_INTERVAL_MS/);
  });

  it('coerces numbers and treats empty strings as unset', () => {
    const config = loadConfig({ ...required, WORKER_CONCURRENCY: '4', NEON_RATE_PER_MINUTE: '', INTENT_RETENTION_SECONDS: '172800' });
    expect(config.concurrency).toBe(4);
    expect(config.rate.perMinute).toBe(700);
    expect(config.intentRetentionSeconds).toBe(2 * 86_400);
  });

  it('uses Neon\'s typical operation durations as priors against Neon only, unless told', () => {
    expect(loadConfig(required).operationPriors).toBe('neon');
    expect(loadConfig({ ...required, NEON_BASE_URL: 'https://console.neon.tech/api/v2' }).operationPriors).toBe('neon');
    expect(loadConfig({ ...required, NEON_BASE_URL: 'http://127.0.0.1:4000/api/v2' }).operationPriors).toBe('none');
    expect(loadConfig({ ...required, NEON_BASE_URL: 'http://127.0.0.1:4000/api/v2', OPERATION_PRIORS: 'neon' }).operationPriors).toBe('neon');
    expect(loadConfig({ ...required, OPERATION_PRIORS: 'none' }).operationPriors).toBe('none');
    expect(() => loadConfig({ ...required, OPERATION_PRIORS: 'fast' })).toThrow(/OPERATION_PRIORS/);
  });

  it('reads the operation deadline and refuses a non-positive one', () => {
    expect(loadConfig({ ...required, OPERATION_DEADLINE_MS: '60000' }).operationDeadlineMs).toBe(60_000);
    expect(() => loadConfig({ ...required, OPERATION_DEADLINE_MS: '0' })).toThrow(/OPERATION_DEADLINE_MS/);
  });

  it('reads the durable store (none by default) and refuses a URL it cannot open without echoing it', () => {
    expect(loadConfig(required).database).toBeUndefined();
    expect(loadConfig({ ...required, DATABASE_URL: 'postgres://u:pw@db.example/app?sslmode=require' }).database).toEqual({
      url: 'postgres://u:pw@db.example/app?sslmode=require',
      schema: 'public',
    });
    expect(loadConfig({ ...required, DATABASE_URL: 'pglite:memory', DATABASE_SCHEMA: 'neonops' }).database).toEqual({ url: 'pglite:memory', schema: 'neonops' });
    expect(() => loadConfig({ ...required, DATABASE_URL: 'mysql://u:hunter2@x/db' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ ...required, DATABASE_URL: 'mysql://u:hunter2@x/db' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ ...required, DATABASE_URL: 'pglite:memory', DATABASE_SCHEMA: 'a-b; drop' })).toThrow(/DATABASE_SCHEMA/);
  });

  it('refuses the example key and a one-byte key against Neon, accepts them against the simulator (http://), and reads SECRETS_KEYS_PREVIOUS', () => {
    const example = 'bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI=';
    for (const weak of [example, Buffer.from(example, 'base64').toString('hex'), '00'.repeat(32), Buffer.alloc(32, 7).toString('base64')]) {
      let error: unknown;
      try {
        loadConfig({ ...required, SECRETS_KEY: weak });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['SECRETS_KEY']);
      expect((error as ConfigError).message).not.toContain(weak);
      expect(() => loadConfig({ ...required, SECRETS_KEY: weak, NEON_BASE_URL: 'https://console.neon.tech/api/v2' })).toThrow(/SECRETS_KEY/);
      expect(loadConfig({ ...required, SECRETS_KEY: weak, NEON_BASE_URL: 'http://sim:4010/api/v2' }).secretsKey).toBe(weak);
    }
    expect(loadConfig(required).previousSecretsKeys).toEqual([]);
    expect(loadConfig(required).resealIntervalMs).toBe(3_600_000);
    const previous = [Buffer.from(Array.from({ length: 32 }, (_, i) => i + 100)).toString('base64'), 'ab'.repeat(16) + 'cd'.repeat(16)];
    expect(loadConfig({ ...required, SECRETS_KEYS_PREVIOUS: previous.join(', '), SECRETS_RESEAL_INTERVAL_MS: '60000' })).toMatchObject({ previousSecretsKeys: previous, resealIntervalMs: 60_000 });
    expect(() => loadConfig({ ...required, SECRETS_KEYS_PREVIOUS: `${previous[0]},not-a-key` })).toThrow(/SECRETS_KEYS_PREVIOUS/);
    expect(() => loadConfig({ ...required, SECRETS_KEYS_PREVIOUS: `${previous[0]},not-a-key` })).not.toThrow(previous[0]);
  });

  it('names every bad variable without echoing values', () => {
    let error: unknown;
    try {
      loadConfig({ NEON_API_KEY: 'super-secret-key', SECRETS_KEY: 'short-secret', WORKER_CONCURRENCY: '-1', REDIS_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(variables).toEqual(['REDIS_URL', 'SECRETS_KEY', 'WORKER_CONCURRENCY']);
    expect((error as ConfigError).message).not.toContain('super-secret-key');
    expect((error as ConfigError).message).not.toContain('short-secret');
  });
});
