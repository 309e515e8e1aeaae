import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SecretBox } from '@neonops/intents';
import { freePort, redisAnswers, useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, defaultTeams } from '../test/helper.js';
import { buildApp } from './app.js';
import { TeamDirectory } from './teams/team-directory.js';

const hasRedisServer = await new Promise<boolean>((resolve) => {
  const probe = spawn('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
  probe.on('exit', (code) => resolve(code === 0));
});

/** Starts redis-server on `port` and resolves once it answers. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error('redis-server exited');
      return redisAnswers(`redis://127.0.0.1:${port}`, 200);
    },
    { what: `redis-server on port ${port}` },
  );
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

describe('Redis restart', () => {
  it.runIf(hasRedisServer)('answers 503 while Redis is away and recovers by itself when it is back', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    onTestFinished(() => stopRedis(redis));
    const app = await buildApp({
      redis: { url: `redis://127.0.0.1:${port}` },
      keyPrefix: 'restart:',
      teams: new TeamDirectory(defaultTeams),
      secretBox: new SecretBox(SecretBox.generateKey()),
      probeNeon: async () => ({ ok: true }),
    });
    onTestFinished(() => app.close());
    const submit = () => app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: { authorization: 'Bearer token-alpha' } });
    expect((await submit()).statusCode).toBe(202);

    const disconnected = Promise.all([once(app.redis, 'close'), once(app.queueRedis, 'close')]);
    await stopRedis(redis);
    await disconnected;
    const down = await submit();
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe('store_unavailable');

    const ready = Promise.all([once(app.redis, 'ready'), once(app.queueRedis, 'ready')]);
    redis = await startRedis(port);
    await ready;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await submit()).statusCode).toBe(202);
  });
});

describe('main process', () => {
  it('starts from the environment and exits 0 on SIGTERM', async () => {
    const redis = useTestRedis('api-proc');
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        REDIS_URL: redis.url,
        KEY_PREFIX: redis.prefix,
        DEV_MODE: 'true',
        TEAMS_FILE: '/nonexistent/teams.yaml',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let output = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /"url":"(http:\/\/[^"]+)"[^\n]*"api listening"/.exec(output);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
    });
    const url = await listening;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // Dev mode without a teams file: no team, so every token is refused.
    expect((await fetch(`${url}/v1/intents`, { headers: { authorization: 'Bearer some-token' } })).status).toBe(401);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(output).toContain('shutting down');
  });
});
