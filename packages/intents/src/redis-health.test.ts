import { spawnRedisCluster, spawnRedisServer } from '@neonops/testing';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { checkMaxmemoryPolicy, type RedisHealthLogger } from './redis-health.js';
import { createRedis } from '@neonops/redis';

function capture(): RedisHealthLogger & { lines: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    warn: (obj, msg) => void lines.push({ level: 'warn', obj, msg }),
    debug: (obj, msg) => void lines.push({ level: 'debug', obj, msg }),
  };
}

/** A redis-server of the test's own: its config is changed, never the shared one's. */
async function ownRedis(): Promise<string> {
  const server = await spawnRedisServer();
  onTestFinished(() => server.stop());
  return server.url;
}

function connect(url: string, options: { username?: string; password?: string } = {}): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, ...options });
  onTestFinished(() => void client.disconnect());
  return client;
}

describe('checkMaxmemoryPolicy', () => {
  it('warns once when the policy evicts (allkeys-lru), naming the policy; says nothing for noeviction', async () => {
    const url = await ownRedis();
    const admin = connect(url);
    const log = capture();
    expect(await checkMaxmemoryPolicy(admin, log)).toBe('noeviction');
    expect(log.lines).toEqual([]);

    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    // A fresh connection that is not ready yet: the check waits for it.
    expect(await checkMaxmemoryPolicy(connect(url), log)).toBe('allkeys-lru');
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: 'warn', obj: { maxmemoryPolicy: 'allkeys-lru' } });
    expect(log.lines[0]?.msg).toMatch(/allkeys-lru.*noeviction/);
  });

  it('says nothing above debug when CONFIG is refused (managed Redis)', async () => {
    const url = await ownRedis();
    const admin = connect(url);
    await admin.config('SET', 'maxmemory-policy', 'volatile-lru');
    await admin.call('ACL', 'SETUSER', 'app', 'on', '>pw', '~*', '&*', '+@all', '-config');
    const log = capture();
    expect(await checkMaxmemoryPolicy(connect(url, { username: 'app', password: 'pw' }), log)).toBeUndefined();
    expect(log.lines.map((l) => l.level)).toEqual(['debug']);
  });
});

describe('checkMaxmemoryPolicy on a Redis Cluster', () => {
  it('asks every master: one that may evict is reported', async () => {
    const cluster = await spawnRedisCluster(3);
    onTestFinished(() => cluster.stop());
    const redis = createRedis(cluster.url, { maxRetriesPerRequest: 1 });
    onTestFinished(() => void redis.disconnect());
    const log = capture();
    expect(await checkMaxmemoryPolicy(redis, log)).toBe('noeviction');
    // Only the last master evicts: a check of one random node would miss it two times in three.
    const last = connect(`redis://127.0.0.1:${cluster.ports[2]}`);
    await last.config('SET', 'maxmemory-policy', 'volatile-lru');
    expect(await checkMaxmemoryPolicy(redis, log)).toBe('volatile-lru');
    expect(log.lines).toEqual([expect.objectContaining({ level: 'warn', obj: { maxmemoryPolicy: 'volatile-lru' } })]);
  }, 60_000);
});
