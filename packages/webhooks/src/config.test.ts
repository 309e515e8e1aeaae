import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_WEBHOOK_SETTINGS, webhookEnvShape, webhookSettingsFromEnv } from './config.js';

const schema = z.object(webhookEnvShape);

describe('webhook config', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_WEBHOOK_SETTINGS).toEqual({
      timeoutMs: 15_000,
      retryScheduleMs: [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      allowHosts: [],
      allowCidrs: [],
      secretOverlapSeconds: 86_400,
      disableAfterSeconds: 432_000,
      concurrency: 50,
    });
  });

  it('parses lists and numbers from the environment', () => {
    const s = webhookSettingsFromEnv(
      schema.parse({
        WEBHOOK_RETRY_SCHEDULE: '0, 10,20',
        WEBHOOK_ALLOW_HOSTS: 'a.internal, b.internal',
        WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
        WEBHOOK_TIMEOUT_MS: '500',
        WEBHOOK_CONCURRENCY: '4',
      }),
    );
    expect(s.retryScheduleMs).toEqual([0, 10, 20]);
    expect(s.allowHosts).toEqual(['a.internal', 'b.internal']);
    expect(s.allowCidrs).toEqual(['127.0.0.1/32']);
    expect(s.timeoutMs).toBe(500);
    expect(s.concurrency).toBe(4);
  });

  it('refuses a bad schedule', () => {
    expect(schema.safeParse({ WEBHOOK_RETRY_SCHEDULE: '1,x' }).success).toBe(false);
    expect(schema.safeParse({ WEBHOOK_RETRY_SCHEDULE: ',' }).success).toBe(false);
    expect(schema.safeParse({ WEBHOOK_TIMEOUT_MS: '0' }).success).toBe(false);
  });
});
