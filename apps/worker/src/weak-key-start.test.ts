import { spawnProcess } from '@neonops/testing';
import { describe, expect, it } from 'vitest';

const EXAMPLE_KEY = 'bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI='; // docker-compose.yml's default

describe('the worker process refuses a weak SECRETS_KEY against Neon', () => {
  it('exits non-zero at start with the example key, naming SECRETS_KEY but not the key, before connecting anywhere', async () => {
    const worker = spawnProcess(new URL('./main.ts', import.meta.url), {
      SECRETS_KEY: EXAMPLE_KEY,
      NEON_API_KEY: 'napi_unused',
      NEON_BASE_URL: 'https://console.neon.tech/api/v2',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    const { code } = await worker.exited;
    expect(code).toBe(1);
    expect(worker.output()).toMatch(/worker failed to start: Invalid worker configuration: SECRETS_KEY: is the example key/);
    expect(worker.output()).not.toContain(EXAMPLE_KEY);
  });
});
