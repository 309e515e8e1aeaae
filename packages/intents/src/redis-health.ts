import { redisNodes } from '@neonops/redis';
import type { Redis } from 'ioredis';

/** The two log levels {@link checkMaxmemoryPolicy} uses (pino and Fastify loggers fit). */
export interface RedisHealthLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

/** Resolves true once `redis` is ready, false if it ends first (a process closing before Redis came up). */
function whenReady(redis: Redis): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (ready: boolean) => () => {
      redis.off('ready', onReady);
      redis.off('end', onEnd);
      resolve(ready);
    };
    const onReady = settle(true);
    const onEnd = settle(false);
    redis.once('ready', onReady);
    redis.once('end', onEnd);
  });
}

/**
 * Warns (once per call; call it once at startup) when Redis's `maxmemory-policy` is not
 * `noeviction`. Any other policy lets a full Redis silently drop keys: queued jobs, intent
 * records, idempotency records, delivery logs. BullMQ's production guidance is `noeviction`,
 * which makes a full Redis refuse writes instead (the API answers 503 then).
 *
 * Waits for the connection to be ready (so it can be called right after connecting) and never
 * throws: managed Redis often refuses `CONFIG`, and then nothing is known, so it logs at debug
 * only. Resolves with the policy, or undefined when it could not be read.
 */
export async function checkMaxmemoryPolicy(redis: Redis, log: RedisHealthLogger): Promise<string | undefined> {
  try {
    if (!(await whenReady(redis))) return undefined;
    // Every master of a cluster: one that may evict is enough to lose keys.
    const policies = await Promise.all(
      (await redisNodes(redis)).map(async (node) => {
        const reply = (await node.config('GET', 'maxmemory-policy')) as unknown;
        return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined;
      }),
    );
    const policy = policies.find((p) => p !== 'noeviction') ?? policies[0];
    if (policy === undefined) {
      log.debug({}, 'redis maxmemory-policy unknown (CONFIG GET answered nothing)');
      return undefined;
    }
    if (policy !== 'noeviction') {
      log.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is ${policy}, not noeviction: a full Redis may evict queued jobs and records. Set maxmemory-policy noeviction.`,
      );
    }
    return policy;
  } catch (error) {
    log.debug({ err: { message: error instanceof Error ? error.message : String(error) } }, 'could not read redis maxmemory-policy (CONFIG refused?)');
    return undefined;
  }
}
