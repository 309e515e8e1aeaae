import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface ReadCacheOptions {
  /** Key prefix: entries are `<prefix>readcache:{<team>}:<sha-256 of the URL>`, each with `ttlMs` as its TTL. */
  keyPrefix: string;
  /** How long an answer is reused, ms (`0`: no cache). Default 3000. */
  ttlMs?: number;
  /** Routes never cached (those whose answer holds a secret). */
  skip?: (request: FastifyRequest) => boolean;
}

const CACHED = Symbol('readCacheHit');

/**
 * A short cache of the read-through routes' `200` answers in Redis, per team and URL: a team
 * (or a dashboard of many replicas) asking the same thing again within `ttlMs` is answered
 * without a Neon call, so repeats do not spend the Neon account's shared rate budget. Answers
 * with a secret (connection URIs) are never cached. A Redis error skips the cache (the read
 * goes to Neon). `X-Cache: hit|miss` says which.
 */
export function addReadCache(scope: FastifyInstance, options: ReadCacheOptions): void {
  const ttlMs = options.ttlMs ?? 3000;
  if (ttlMs <= 0) return;
  const keyOf = (request: FastifyRequest) =>
    `${options.keyPrefix}readcache:{${request.team.id}}:${createHash('sha256').update(request.url).digest('hex')}`;
  scope.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET' || options.skip?.(request)) return;
    const cached = await scope.redis.get(keyOf(request)).catch(() => null);
    if (cached === null) {
      void reply.header('x-cache', 'miss');
      return;
    }
    (request as unknown as Record<symbol, boolean>)[CACHED] = true;
    return reply.header('x-cache', 'hit').type('application/json; charset=utf-8').serializer((body: unknown) => body as string).send(cached);
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' || reply.statusCode !== 200 || options.skip?.(request)) return payload;
    if ((request as unknown as Record<symbol, boolean>)[CACHED] || typeof payload !== 'string') return payload;
    await scope.redis.set(keyOf(request), payload, 'PX', ttlMs).catch(() => undefined);
    return payload;
  });
}
