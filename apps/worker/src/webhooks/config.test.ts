import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';

const required = { NEON_API_KEY: 'k', SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1)).toString('base64') };

describe('worker config: webhooks', () => {
  it('defaults to Svix’s schedule, 15 s timeout, no allowlist', () => {
    const { webhooks } = loadConfig(required);
    expect(webhooks.retryScheduleMs).toEqual([0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(webhooks).toMatchObject({ timeoutMs: 15_000, allowHosts: [], allowCidrs: [], concurrency: 50, disableAfterSeconds: 432_000 });
  });

  it('reads WEBHOOK_* and names a bad one', () => {
    const { webhooks } = loadConfig({ ...required, WEBHOOK_RETRY_SCHEDULE: '0,10', WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32', WEBHOOK_CONCURRENCY: '3' });
    expect(webhooks).toMatchObject({ retryScheduleMs: [0, 10], allowCidrs: ['127.0.0.1/32'], concurrency: 3 });
    try {
      loadConfig({ ...required, WEBHOOK_TIMEOUT_MS: 'soon' });
      expect.fail('should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable)).toEqual(['WEBHOOK_TIMEOUT_MS']);
    }
  });
});

describe('worker config: webhook dispatcher lock and stalled check', () => {
  it('follow JOB_LOCK_DURATION_MS and STALLED_INTERVAL_MS unless set on their own', () => {
    expect(loadConfig(required).webhookDispatcher).toEqual({ lockDurationMs: 30_000, stalledIntervalMs: 30_000 });
    expect(loadConfig({ ...required, JOB_LOCK_DURATION_MS: '5000', STALLED_INTERVAL_MS: '2000' }).webhookDispatcher).toEqual({
      lockDurationMs: 5000,
      stalledIntervalMs: 2000,
    });
    const own = loadConfig({ ...required, JOB_LOCK_DURATION_MS: '5000', WEBHOOK_JOB_LOCK_DURATION_MS: '60000', WEBHOOK_STALLED_INTERVAL_MS: '15000' });
    expect(own.webhookDispatcher).toEqual({ lockDurationMs: 60_000, stalledIntervalMs: 15_000 });
    expect(own.jobLockDurationMs).toBe(5000);
  });

  it('names a bad one', () => {
    try {
      loadConfig({ ...required, WEBHOOK_JOB_LOCK_DURATION_MS: '0', WEBHOOK_STALLED_INTERVAL_MS: 'often' });
      expect.fail('should throw');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.variable).sort()).toEqual(['WEBHOOK_JOB_LOCK_DURATION_MS', 'WEBHOOK_STALLED_INTERVAL_MS']);
    }
  });
});
