import { spawnProcess } from '@neonops/testing';
import { describe, expect, it } from 'vitest';

const EXAMPLE_KEY = 'bG9jYWwtdHJpYWwtb25seS1zZWNyZXRzLWtleS0zMmI='; // docker-compose.yml's default

describe('the API process refuses a weak SECRETS_KEY outside local mode', () => {
  it.each([
    ['the example key of docker-compose.yml', EXAMPLE_KEY],
    ['a key of one repeated byte', '00'.repeat(32)],
  ])('exits 2 at start with %s against Neon, naming SECRETS_KEY but not the key', async (_what, key) => {
    const api = spawnProcess(new URL('./main.ts', import.meta.url), {
      SECRETS_KEY: key,
      NEON_BASE_URL: 'https://console.neon.tech/api/v2',
      PORT: '0',
      TEAMS_FILE: '/nonexistent/teams.yaml',
    });
    const { code } = await api.exited;
    expect(code).toBe(2);
    expect(api.output()).toMatch(/SECRETS_KEY/);
    expect(api.output()).toMatch(/openssl rand -base64 32/);
    expect(api.output()).not.toContain(key);
  });
});
