import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { closeRedis, createRedis } from '@neonops/intents';
import type { Redis, RedisOptions } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's Redis connection for its own commands: fails fast when Redis is down (`enableOfflineQueue: false`). */
    redis: Redis;
    /** The connection the intents queue uses (also fail-fast); the same as `redis` when a client was injected. */
    queueRedis: Redis;
  }
}

export interface RedisPluginOptions {
  /** Connect to this URL (the connections are closed with the app), or use `client` as given (its owner closes it). */
  redis: { url: string; connectTimeoutMs?: number } | { client: Redis };
}

/** Resolves on the first `ready` or the first `error`, whichever comes first. */
function firstOutcome(client: Redis): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      client.off('ready', done);
      client.off('error', done);
      resolve();
    };
    client.once('ready', done);
    client.once('error', done);
  });
}

function connect(url: string, options: RedisOptions, log: FastifyBaseLogger, name: string): Redis {
  const client = createRedis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Keep trying in the background, at most every 2 s, so the API recovers when Redis returns.
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...options,
  });
  let reported = false;
  client.on('error', (error: Error) => {
    // One line per outage, not one per reconnect attempt.
    if (!reported) log.warn({ err: { message: error.message }, connection: name }, 'redis connection error');
    reported = true;
  });
  client.on('ready', () => {
    reported = false;
  });
  return client;
}

/**
 * Makes the API's Redis connections. Producers must not queue commands while Redis is
 * away: `enableOfflineQueue: false` turns an outage into an immediate error, which the
 * routes answer with 503. Startup waits for the first connect or the first error, so the
 * process still starts (and answers 503 / `/readyz` not ready) when Redis is down.
 *
 * Two connections: the command connection auto-pipelines (concurrent requests' commands
 * go out in one write); the queue gets its own, because BullMQ defines dozens of scripts on
 * its connection and ioredis copies them into every auto-pipeline batch.
 */
export default fp<RedisPluginOptions>(
  async (fastify, options) => {
    if ('client' in options.redis) {
      fastify.decorate('redis', options.redis.client);
      fastify.decorate('queueRedis', options.redis.client);
      return;
    }
    const connectTimeout = options.redis.connectTimeoutMs ?? 2000;
    const commands = connect(options.redis.url, { connectTimeout, enableAutoPipelining: true }, fastify.log, 'commands');
    const queue = connect(options.redis.url, { connectTimeout }, fastify.log, 'queue');
    await Promise.all([firstOutcome(commands), firstOutcome(queue)]);
    fastify.decorate('redis', commands);
    fastify.decorate('queueRedis', queue);
    fastify.addHook('onClose', async () => {
      await Promise.all([commands, queue].map((c) => closeRedis(c)));
    });
  },
  { name: 'redis' },
);
