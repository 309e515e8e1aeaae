import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';

const key = randomBytes(32).toString('base64');

describe('SCHEDULE_MIN_EVERY_MS', () => {
  it('defaults to one minute, is read as a positive integer, and names itself when bad', () => {
    expect(loadConfig({ SECRETS_KEY: key }).scheduleMinEveryMs).toBe(60_000);
    expect(loadConfig({ SECRETS_KEY: key, SCHEDULE_MIN_EVERY_MS: '5000' }).scheduleMinEveryMs).toBe(5000);
    expect(() => loadConfig({ SECRETS_KEY: key, SCHEDULE_MIN_EVERY_MS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRETS_KEY: key, SCHEDULE_MIN_EVERY_MS: 'soon' })).toThrow(/SCHEDULE_MIN_EVERY_MS/);
  });
});
