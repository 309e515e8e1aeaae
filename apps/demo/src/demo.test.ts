import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from './config.js';
import { runDemo } from './demo.js';

describe('pnpm demo', () => {
  it('tells the whole story: verified ping, intent progress, verified webhook with the branch and its host', async () => {
    const redis = useTestRedis('demo');
    const lines: string[] = [];
    const env = { REDIS_URL: redis.url, KEY_PREFIX: redis.prefix, SIM_SCHEDULING_MS: '0', SIM_RUNNING_MS: '50', LOG_LEVEL: 'silent' };
    await runDemo(loadDemoConfig(env), { env, write: (l) => lines.push(l) });
    const out = lines.join('\n');
    expect(out).toContain('ping received and verified');
    expect(out).toMatch(/Webhook received and verified with standardwebhooks/);
    expect(out).toMatch(/type\s+intent\.succeeded/);
    expect(out).toMatch(/branch\s+demo-\S+ \(br-/);
    expect(out).toMatch(/host\s+ep-\S+\.neon\.tech/);
    expect(out).toMatch(/intent\.succeeded succeeded 204/);
    expect(out).not.toContain('whsec_' + 'A');
    expect(out).toContain('Done.');
  }, 60_000);

  it('refuses DEMO_API_URL without a token and project', () => {
    expect(() => loadDemoConfig({ DEMO_API_URL: 'http://127.0.0.1:3000' })).toThrow(/DEMO_TOKEN/);
  });
});
