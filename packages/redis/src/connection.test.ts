import { spawnRedisCluster, useTestRedis, type TestRedisCluster } from '@neonops/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertOneSlot, createRedis, CrossSlotError, deleteKeysUnder, duplicateRedis, describeRedisUrl, isCluster, keySlot, parseRedisUrl, redisAnswers, redisNodes, redisUrlSchema, scanKeys } from './index.js';

describe('parseRedisUrl', () => {
  it('reads one Redis and a cluster, with credentials, TLS and IPv6', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ cluster: false, nodes: [{ host: '127.0.0.1', port: 6379 }], tls: false });
    expect(parseRedisUrl('rediss://u:p%40ss@redis.example:6380/2')).toEqual({
      cluster: false,
      nodes: [{ host: 'redis.example', port: 6380 }],
      username: 'u',
      password: 'p@ss',
      tls: true,
    });
    expect(parseRedisUrl('redis+cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002')).toEqual({
      cluster: true,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      password: 's3cret',
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://a:7000').tls).toBe(true);
  });

  it('refuses other URLs with a clear message that never holds the password', () => {
    for (const url of ['http://x:1', 'redis+cluster://:hunter2@a:7000,b', 'redis+cluster://:hunter2@', 'not a url']) {
      const result = redisUrlSchema.safeParse(url);
      expect(result.success, url).toBe(false);
      expect(JSON.stringify(result.error?.issues)).not.toContain('hunter2');
    }
    expect(describeRedisUrl('redis+cluster://:hunter2@a:7000,b:7001')).toBe('cluster a:7000,b:7001');
    expect(describeRedisUrl('redis://:hunter2@a:7000')).toBe('a:7000');
  });
});

describe('on one Redis', () => {
  it('scans and deletes the keys under a prefix, leaving the others', async () => {
    const t = useTestRedis('conn');
    const redis = t.connect();
    expect(isCluster(redis)).toBe(false);
    expect(await redisNodes(redis)).toEqual([redis]);
    for (let i = 0; i < 30; i++) await redis.set(`${t.prefix}gone:${i}`, '1');
    await redis.set(`${t.prefix}kept`, '1');
    const seen = new Set<string>();
    for await (const keys of scanKeys(redis, `${t.prefix}gone:*`, 7)) keys.forEach((k) => seen.add(k));
    expect(seen.size).toBe(30);
    expect(await deleteKeysUnder(redis, `${t.prefix}gone:`)).toBe(30);
    expect(await redis.exists(`${t.prefix}kept`)).toBe(1);
  });
});

describe('on a Redis Cluster of three masters', () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('connects from a redis+cluster:// URL, and the cluster refuses a command across slots', async () => {
    expect(await redisAnswers(cluster.url, 2000)).toBe(true);
    const redis = createRedis(cluster.url, { maxRetriesPerRequest: 1 });
    try {
      expect(isCluster(redis)).toBe(true);
      await redis.set('p:{a}:x', '1');
      expect(await redis.get('p:{a}:x')).toBe('1');
      // One slot by hash tag: a multi-key command is fine; across slots it is refused.
      expect(await redis.mget('p:{a}:x', 'p:{a}:y')).toEqual(['1', null]);
      await expect(redis.mget('p:{a}:x', 'p:{b}:y')).rejects.toThrow(/CROSSSLOT/);
      await redis.del('p:{a}:x');
    } finally {
      redis.disconnect();
    }
  });

  it('scans and deletes the keys of every master, and says it can reach none when down', async () => {
    const redis = createRedis(cluster.url, { maxRetriesPerRequest: 1 });
    try {
      const masters = await redisNodes(redis);
      expect(masters).toHaveLength(3);
      // 60 keys of different tags: spread over the three masters.
      await Promise.all(Array.from({ length: 60 }, (_, i) => redis.set(`scan:{t${i}}:k`, String(i))));
      const perMaster = await Promise.all(masters.map((m) => m.dbsize()));
      expect(perMaster.every((n) => n > 0)).toBe(true);
      const seen = new Set<string>();
      for await (const keys of scanKeys(redis, 'scan:*', 5)) keys.forEach((k) => seen.add(k));
      expect(seen.size).toBe(60);
      expect(await deleteKeysUnder(redis, 'scan:')).toBe(60);
      expect((await Promise.all(masters.map((m) => m.dbsize()))).reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      redis.disconnect();
    }
    expect(await redisAnswers('redis+cluster://127.0.0.1:1,127.0.0.1:2', 300)).toBe(false);
  });

  it('duplicates a cluster connection with other options: a subscriber that hears a script’s PUBLISH', async () => {
    const redis = createRedis(cluster.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    const subscriber = duplicateRedis(redis, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    try {
      expect(isCluster(subscriber)).toBe(true);
      const heard = new Promise<string>((resolve) => subscriber.on('message', (_channel: string, message: string) => resolve(message)));
      await subscriber.subscribe('dup:events');
      await redis.eval("redis.call('PUBLISH', ARGV[1], ARGV[2]) return 1", 1, 'dup:{core}:k', 'dup:events', 'changed');
      expect(await heard).toBe('changed');
    } finally {
      subscriber.disconnect();
      redis.disconnect();
    }
  });

  it('computes the slot the cluster computes (CLUSTER KEYSLOT) for the service’s key shapes', async () => {
    const redis = createRedis(cluster.url, { maxRetriesPerRequest: 1 });
    try {
      const keys = ['neonops:{core}:intent:int_01', 'neonops:project-lock:{prj-1}', 'a{}{b}', 'x{{y}}', 'ünï{cödé}', ...Array.from({ length: 100 }, (_, i) => `k:${i}:${'z'.repeat(i % 7)}`)];
      for (const key of keys) expect(keySlot(key), key).toBe(await redis.call('CLUSTER', 'KEYSLOT', key));
    } finally {
      redis.disconnect();
    }
  });
});

describe('assertOneSlot', () => {
  it('passes keys of one hash tag and throws CrossSlotError for keys of several slots', () => {
    expect(() => assertOneSlot('s', ['p:{core}:intent:1', 'p:{core}:outbox', 'q:{core}:x'])).not.toThrow();
    expect(() => assertOneSlot('s', [])).not.toThrow();
    expect(keySlot('p:{core}:a')).toBe(keySlot('{core}'));
    const error = (() => {
      try {
        assertOneSlot('create', ['p:{core}:intent:1', 'p:hooks:delivery:1']);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CrossSlotError);
    expect((error as CrossSlotError).code).toBe('cross_slot');
  });
});

describe('keySlot', () => {
  it('hashes as Redis Cluster does (the slots its CLUSTER KEYSLOT gives)', () => {
    // Values from Redis's own CLUSTER KEYSLOT (and the cluster spec's CRC16 test vector: "123456789" → 0x31C3).
    expect(keySlot('123456789')).toBe(0x31c3 % 16384);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}')); // an empty first tag: the whole key
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('héllo{ü}')).toBe(keySlot('ü'));
  });
});
