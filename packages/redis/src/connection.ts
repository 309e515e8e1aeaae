import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { z } from 'zod';

/**
 * Where the service's Redis is, from one URL (`REDIS_URL`):
 * - `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS): one Redis;
 * - `redis+cluster://[user:password@]host:port,host:port,…` (or `rediss+cluster://`): a Redis
 *   Cluster, reached through any of the seed nodes given (ioredis discovers the rest).
 */
export interface RedisTarget {
  cluster: boolean;
  /** Seed nodes of a cluster; the one node of a single Redis. */
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#@]+)\/?$/;

/** Parses `REDIS_URL` (see `RedisTarget`); throws on a URL that is neither form. Never puts the password in the error. */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_URL.exec(url);
  if (cluster) {
    const [, scheme, user, password, hosts = ''] = cluster;
    const nodes = hosts.split(',').map((hostPort) => {
      const match = /^(\[[^\]]+\]|[^:,]+):(\d{1,5})$/.exec(hostPort.trim());
      if (!match?.[1] || !match[2]) throw new Error(`a cluster node is host:port, not "${hostPort}"`);
      return { host: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) };
    });
    return {
      cluster: true,
      nodes,
      ...(user ? { username: decodeURIComponent(user) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
      tls: scheme === 'rediss',
    };
  }
  if (/^rediss?\+cluster:/.test(url)) throw new Error('a cluster URL is redis+cluster://[user:password@]host:port,host:port,…');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('not a Redis URL: use redis://host:port, rediss://host:port or redis+cluster://host:port,host:port');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`not a Redis URL (scheme ${parsed.protocol}): use redis://, rediss:// or redis+cluster://`);
  }
  return {
    cluster: false,
    nodes: [{ host: parsed.hostname, port: Number(parsed.port || 6379) }],
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    tls: parsed.protocol === 'rediss:',
  };
}

/** `REDIS_URL` in a config schema: a single Redis or a cluster (see `parseRedisUrl`). */
export const redisUrlSchema = z.string().superRefine((url, ctx) => {
  try {
    parseRedisUrl(url);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Where to connect, for logs and banners: hosts and ports only, never a password. */
export function describeRedisUrl(url: string): string {
  try {
    const target = parseRedisUrl(url);
    const hosts = target.nodes.map((n) => `${n.host}:${n.port}`).join(',');
    return target.cluster ? `cluster ${hosts}` : hosts;
  } catch {
    return 'an unparsable REDIS_URL';
  }
}

/**
 * A `Redis` connection's options, split for a `Cluster`: the few that are the cluster's own
 * (offline queue, auto-pipelining, lazy connect, the retry back-off), and the rest, given to
 * every node's connection.
 */
function splitOptions(options: RedisOptions): { cluster: Partial<ClusterOptions>; node: RedisOptions } {
  const { enableOfflineQueue, enableAutoPipelining, lazyConnect, retryStrategy, ...node } = options;
  return {
    cluster: {
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
      // The same back-off between attempts to reach the cluster as a single Redis gets.
      ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
    },
    node,
  };
}

/**
 * A connection to the Redis that `url` names: an ioredis `Redis`, or for a
 * `redis+cluster://` URL an ioredis `Cluster` with the same options given to every node.
 *
 * A `Cluster` is typed as a `Redis` here so that the service's code (stores, scripts, BullMQ)
 * takes either: both answer the same commands, and every script and multi-key command of the
 * service touches one hash slot (see `keyspace.ts`). The commands that differ on a cluster —
 * SCAN and a node's configuration — go through `scanKeys` and `redisNodes`, which ask every
 * master. `duplicate()` of a cluster is a cluster.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const target = parseRedisUrl(url);
  if (!target.cluster) return new Redis(url, options);
  const { cluster, node } = splitOptions(options);
  const clusterOptions: ClusterOptions = {
    ...cluster,
    redisOptions: {
      ...node,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
    // Never read from replicas: a replica may lag behind what a script just wrote.
    scaleReads: 'master',
    // A slot moving (failover, resharding) is followed, not reported.
    maxRedirections: 16,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 500,
    retryDelayOnTryAgain: 200,
  };
  return new Cluster(target.nodes, clusterOptions) as unknown as Redis;
}

/**
 * A new connection to the same Redis or cluster as `redis`, with `options` changed (e.g. a
 * subscriber that may wait for Redis). ioredis's `duplicate` takes other arguments on a
 * cluster (seed nodes first, then cluster options); this takes the same options for both.
 */
export function duplicateRedis(redis: Redis, options: RedisOptions = {}): Redis {
  if (!isCluster(redis)) return redis.duplicate(options);
  const cluster = redis as unknown as Cluster;
  const split = splitOptions(options);
  return cluster.duplicate([], { ...split.cluster, redisOptions: { ...cluster.options.redisOptions, ...split.node } }) as unknown as Redis;
}

/** Whether a connection made by `createRedis` is a cluster's. */
export function isCluster(redis: Redis): boolean {
  return (redis as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * The connections to every master of a cluster (once it knows its slots: a cluster that is
 * still connecting is waited for), or the connection itself for a single Redis.
 */
export async function redisNodes(redis: Redis): Promise<Redis[]> {
  if (!isCluster(redis)) return [redis];
  const cluster = redis as unknown as Cluster;
  if (cluster.status === 'wait') await cluster.connect();
  else if (cluster.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        cluster.off('ready', ok);
        reject(error);
      };
      const ok = () => {
        cluster.off('error', fail);
        resolve();
      };
      cluster.once('ready', ok);
      cluster.once('error', fail);
    });
  }
  return cluster.nodes('master');
}

/**
 * Every key matching `match`, in batches, on every master of a cluster (SCAN is per node):
 * for maintenance jobs that must visit keys of all slots. Each batch is what one SCAN call
 * returned; a key may appear twice (SCAN's guarantee), never be missed if it lived throughout.
 */
export async function* scanKeys(redis: Redis, match: string, count = 500): AsyncGenerator<string[]> {
  for (const node of await redisNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

/**
 * Deletes every key under `prefix` (SCAN + UNLINK on every master; never FLUSHALL: the Redis
 * may be shared). UNLINK goes one key at a time on a cluster, where a multi-key command must
 * stay in one slot.
 */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of scanKeys(redis, `${prefix}*`)) {
    if (isCluster(redis)) deleted += (await Promise.all(keys.map((key) => redis.unlink(key)))).reduce((a, b) => a + b, 0);
    else deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/** Whether a Redis (or a cluster) answers PING at `url` within `timeoutMs`; never retries, never queues. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = createRedis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  const timer = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs * 2).unref());
  try {
    const answer = (async () => {
      await client.connect();
      return (await client.ping()) === 'PONG';
    })().catch(() => false);
    return await Promise.race([answer, timer]);
  } finally {
    client.disconnect();
  }
}
