import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const required = { NEON_API_KEY: 'napi_test', SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)).toString('base64') };

describe('team schedules configuration', () => {
  it('has documented defaults and reads SCHEDULE_* variables', () => {
    expect(loadConfig(required).schedules).toEqual({ reconcileIntervalMs: 60_000, concurrency: 4, runRetentionMs: 90 * 86_400_000 });
    const config = loadConfig({ ...required, SCHEDULE_RECONCILE_INTERVAL_MS: '5000', SCHEDULE_CONCURRENCY: '2', SCHEDULE_RUN_RETENTION_DAYS: '7', TEAMS_FILE: 'teams.yaml' });
    expect(config.schedules).toEqual({ reconcileIntervalMs: 5000, concurrency: 2, runRetentionMs: 7 * 86_400_000 });
    expect(config.teamsFile).toBe('teams.yaml');
  });

  it('names a bad variable', () => {
    expect(() => loadConfig({ ...required, SCHEDULE_CONCURRENCY: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...required, SCHEDULE_RECONCILE_INTERVAL_MS: 'soon' })).toThrow(/SCHEDULE_RECONCILE_INTERVAL_MS/);
  });
});
