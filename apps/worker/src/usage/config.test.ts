import { DEFAULT_PRICES } from '@neonops/durable-store';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const required = { NEON_API_KEY: 'napi_test', SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7)).toString('base64') };

describe('the usage settings of loadConfig', () => {
  it('collects hourly over the last 24 hours at Neon’s Launch prices by default; no org id against Neon, org-sim against a simulator', () => {
    expect(loadConfig(required)).toMatchObject({ usage: { schedule: { every: 3_600_000 }, lookbackHours: 24, orgId: undefined }, prices: DEFAULT_PRICES });
    expect(loadConfig({ ...required, NEON_BASE_URL: 'http://127.0.0.1:4010/api/v2' }).usage.orgId).toBe('org-sim');
  });

  it('takes a cron pattern, a lookback, an org id and a partial price table', () => {
    const config = loadConfig({ ...required, USAGE_COLLECT_CRON: '5 * * * *', USAGE_LOOKBACK_HOURS: '48', NEON_ORG_ID: 'org-cool-sun-123', USAGE_PRICES: '{"computePerCuHour":0.222}' });
    expect(config.usage).toEqual({ schedule: { pattern: '5 * * * *', tz: 'UTC' }, lookbackHours: 48, orgId: 'org-cool-sun-123' });
    expect(config.prices).toEqual({ ...DEFAULT_PRICES, computePerCuHour: 0.222 });
  });

  it('refuses a bad cron, a lookback beyond Neon’s retention, a bad org id and a bad price table, naming the variable', () => {
    expect(() => loadConfig({ ...required, USAGE_COLLECT_CRON: 'hourly' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...required, USAGE_LOOKBACK_HOURS: '200' })).toThrow(/USAGE_LOOKBACK_HOURS/);
    expect(() => loadConfig({ ...required, NEON_ORG_ID: 'Org_X' })).toThrow(/NEON_ORG_ID/);
    expect(() => loadConfig({ ...required, USAGE_PRICES: '{"computePerCuHour":-1}' })).toThrow(/USAGE_PRICES/);
    expect(() => loadConfig({ ...required, USAGE_PRICES: 'cheap' })).toThrow(/USAGE_PRICES.*not valid JSON/);
  });
});
