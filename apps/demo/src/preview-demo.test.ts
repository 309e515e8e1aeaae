import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from './config.js';
import { runPreviewDemo } from './preview-demo.js';

describe('pnpm demo:preview', () => {
  it('tells the story: a signed pull_request.opened makes the branch, CI gets the verified event with its host, closed deletes it', async () => {
    const redis = useTestRedis('demo-preview');
    const lines: string[] = [];
    const env = { REDIS_URL: redis.url, KEY_PREFIX: redis.prefix, SIM_SCHEDULING_MS: '0', SIM_RUNNING_MS: '50', LOG_LEVEL: 'silent' };
    await runPreviewDemo(loadDemoConfig(env), { env, write: (l) => lines.push(l) });
    const out = lines.join('\n');
    expect(out).toMatch(/pull_request\.opened, signed X-Hub-Signature-256\) → 202 .*"kind":"preview\.ensure"/);
    expect(out).toMatch(/preview\.ensure created: branch preview\/pr-\d+-\S+ \(br-/);
    expect(out).toMatch(/type\s+intent\.succeeded \(preview\.ensure/);
    expect(out).toMatch(/host\s+ep-\S+\.neon\.tech/);
    // The connection URI reached CI; the demo prints it without its password.
    expect(out).toMatch(/DATABASE_URL postgres(ql)?:\/\/[^:]+:\*{8}@/);
    expect(out).toMatch(/preview\.teardown deleted/);
    expect(out).toMatch(/branch preview\/pr-\d+-\S+ is gone/);
    expect(out).toContain('Done.');
  }, 60_000);
});
