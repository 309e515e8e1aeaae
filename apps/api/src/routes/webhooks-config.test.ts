import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';

describe('api config: webhooks', () => {
  it('defaults and WEBHOOK_* variables', () => {
    expect(loadConfig({ DEV_MODE: 'true' }).webhooks).toMatchObject({ secretOverlapSeconds: 86_400, allowHosts: [], allowCidrs: [] });
    const { webhooks } = loadConfig({ DEV_MODE: 'true', WEBHOOK_SECRET_OVERLAP_SECONDS: '60', WEBHOOK_ALLOW_HOSTS: 'hooks.internal' });
    expect(webhooks).toMatchObject({ secretOverlapSeconds: 60, allowHosts: ['hooks.internal'] });
    expect(() => loadConfig({ DEV_MODE: 'true', WEBHOOK_RETRY_SCHEDULE: 'x' })).toThrow(/WEBHOOK_RETRY_SCHEDULE/);
  });
});
