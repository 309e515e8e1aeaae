import { hash } from 'node:crypto';
import { readCacheKey } from '@neonops/intents';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface ReadCacheOptions {
  /** Key prefix: entries are fields of `<prefix>readcache:{<projectId>}` (see `readCacheKey`); the hash expires `ttlMs` after its last write. */
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
 *
 * Answers about a project are fields of that project's hash (`readCacheKey`), which a worker
 * deletes when one of its intents changed the project (`forgetCachedReads`): a client that
 * saw its intent succeed reads the change at once, not up to `ttlMs` later. Each field holds
 * the time it was cached and is used only within `ttlMs` of it; the hash itself expires
 * `ttlMs` after its last write, so a project nobody reads costs nothing.
 */
export function addReadCache(scope: FastifyInstance, options: ReadCacheOptions): void {
  const ttlMs = options.ttlMs ?? 3000;
  if (ttlMs <= 0) return;
  const where = (request: FastifyRequest) => {
    const projectId = (request.params as { projectId?: unknown } | undefined)?.projectId;
    return {
      key: readCacheKey(options.keyPrefix, typeof projectId === 'string' ? projectId : undefined),
      field: `${request.team.id}:${hash('sha256', request.url, 'hex')}`,
    };
  };
  scope.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'GET' || options.skip?.(request)) return;
    const { key, field } = where(request);
    const entry = await scope.redis.hget(key, field).catch(() => null);
    const newline = entry?.indexOf('\n') ?? -1;
    if (entry === null || entry === undefined || newline < 0 || Date.now() - Number(entry.slice(0, newline)) > ttlMs) {
      void reply.header('x-cache', 'miss');
      return;
    }
    (request as unknown as Record<symbol, boolean>)[CACHED] = true;
    return reply.header('x-cache', 'hit').type('application/json; charset=utf-8').serializer((body: unknown) => body as string).send(entry.slice(newline + 1));
  });
  scope.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' || reply.statusCode !== 200 || options.skip?.(request)) return payload;
    if ((request as unknown as Record<symbol, boolean>)[CACHED] || typeof payload !== 'string') return payload;
    const { key, field } = where(request);
    await scope.redis
      .multi()
      .hset(key, field, `${Date.now()}\n${payload}`)
      .pexpire(key, ttlMs)
      .exec()
      .catch(() => undefined);
    return payload;
  });
}
