import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { redisAnswers, spawnRedisServer, startTestRedis } from './redis-server.js';

const hasRedisServer = spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;

describe('startTestRedis', () => {
  it('uses REDIS_URL when it is set and answers', async () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const server = await startTestRedis({ REDIS_URL: url });
    expect(server).toMatchObject({ url, source: 'REDIS_URL' });
  });

  it('refuses a REDIS_URL that does not answer', async () => {
    await expect(startTestRedis({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(/REDIS_URL/);
  });

  it('reports a dead address as not answering', async () => {
    expect(await redisAnswers('redis://127.0.0.1:1', 200)).toBe(false);
  });

  it.runIf(hasRedisServer)('starts redis-server on a free port and stops it', async () => {
    const server = await spawnRedisServer();
    expect(server.source).toBe('redis-server');
    expect(await redisAnswers(server.url)).toBe(true);
    await server.stop();
    expect(await redisAnswers(server.url, 300)).toBe(false);
  });
});
