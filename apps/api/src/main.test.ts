import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '@neonops/intents';
import { useTestRedis } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from './config.js';
import { startApi } from './main.js';
import { hashToken } from './teams/teams-file.js';

describe('startApi', () => {
  it('reads the teams file, listens over HTTP, accepts an intent and closes', async () => {
    const redis = useTestRedis('api-main');
    const dir = await mkdtemp(join(tmpdir(), 'api-main-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const teamsFile = join(dir, 'teams.yaml');
    await writeFile(teamsFile, `teams:\n  - id: alpha\n    tokenHashes: ["${hashToken('secret-token')}"]\n    projects: [p-1]\n`);
    const config = loadConfig({
      PORT: '0',
      REDIS_URL: redis.url,
      KEY_PREFIX: redis.prefix,
      TEAMS_FILE: teamsFile,
      SECRETS_KEY: SecretBox.generateKey(),
      LOG_LEVEL: 'silent',
    });
    const api = await startApi(config);
    onTestFinished(() => api.close());
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${api.url}/healthz`)).json()).toMatchObject({ ok: true, neon: { reachable: true } });
    const res = await fetch(`${api.url}/v1/intents`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret-token', 'content-type': 'application/json', 'idempotency-key': 'k-1' },
      body: JSON.stringify({ kind: 'database.create', params: { projectId: 'p-1', branchId: 'br-1', name: 'db', ownerName: 'app' } }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toMatch(/^\/v1\/intents\/int_/);
    await api.close();
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });

  it('stores the teams file’s sources at start with the secret from the variable it names; an unset one stops the start, naming the variable', async () => {
    const redis = useTestRedis('api-main');
    const dir = await mkdtemp(join(tmpdir(), 'api-main-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const teamsFile = join(dir, 'teams.yaml');
    await writeFile(
      teamsFile,
      [
        'teams:',
        '  - id: alpha',
        `    tokenHashes: ["${hashToken('secret-token')}"]`,
        '    projects: [p-1]',
        '    sources:',
        '      - { id: shop, kind: github, projectId: p-1, repositories: [acme/shop], secretEnv: SHOP_HOOK_SECRET }',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ PORT: '0', REDIS_URL: redis.url, KEY_PREFIX: redis.prefix, TEAMS_FILE: teamsFile, SECRETS_KEY: SecretBox.generateKey(), LOG_LEVEL: 'silent' });
    await expect(startApi(config, { env: {} })).rejects.toThrow(/teams\.alpha\.sources\.0\.secretEnv: SHOP_HOOK_SECRET is not set/);
    const api = await startApi(config, { env: { SHOP_HOOK_SECRET: 'from-the-environment-0123456789' } });
    onTestFinished(() => api.close());
    const res = await fetch(`${api.url}/v1/sources`, { headers: { authorization: 'Bearer secret-token' } });
    expect(((await res.json()) as { items: unknown[] }).items).toEqual([expect.objectContaining({ id: 'src_alpha--shop', fromTeamsFile: true, repositories: ['acme/shop'] })]);
  });

  it('refuses to start without a teams file outside dev mode', async () => {
    const config = loadConfig({ PORT: '0', TEAMS_FILE: '/nonexistent/teams.yaml', SECRETS_KEY: SecretBox.generateKey(), LOG_LEVEL: 'silent' });
    await expect(startApi(config)).rejects.toThrow(/teams\.yaml/);
  });
});
