import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { TeamRateLimitedError } from '../../errors.js';
import { RateReservations } from './rate-reservations.js';

export interface TeamRateLimitOptions {
  /** Key prefix; the counters are `<prefix>ratelimit:team:<id>`, each with the window as TTL. */
  keyPrefix: string;
  /** Requests per minute of a team without `limits.requestsPerMinute`. Default 600. */
  defaultPerMinute?: number;
  /** Requests one reservation takes from Redis for a limit (see `RateReservations`). Default 1 % of it, 1–1000. */
  blockFor?: (max: number) => number;
}

/**
 * Each team's request rate limit, shared by every replica (the counters live in Redis): one
 * team flooding the API — read-through routes above all, which spend the Neon account's 700
 * requests/min — gets `429 rate_limited` with `Retry-After`, and other teams are answered as
 * before. Keyed by team id (all its tokens together); runs after authentication
 * (`preHandler`). A Redis error lets the request through (`skipOnError`): the route itself
 * then answers 503 if it needs Redis.
 *
 * `@fastify/rate-limit` with `RateReservations` as its store: the window's count lives in Redis
 * as with its Redis store (same key, same fixed window), but each replica reserves a block of
 * requests at a time (1 % of the limit), so most requests cost no Redis round trip; a window's
 * count never passes the limit, whatever the number of replicas.
 *
 * Registered inside the scope of the team routes, so that hooks and health are not counted.
 */
export async function registerTeamRateLimit(scope: FastifyInstance, options: TeamRateLimitOptions): Promise<void> {
  const defaultPerMinute = options.defaultPerMinute ?? 600;
  const reservations = new RateReservations(scope.redis, { nameSpace: `${options.keyPrefix}ratelimit:`, ...(options.blockFor ? { blockFor: options.blockFor } : {}) });
  await scope.register(rateLimit, {
    hook: 'preHandler',
    // A class, as the plugin wants; every instance is the one store above.
    store: function Store() {
      return reservations;
    } as unknown as FastifyRateLimitStoreCtor,
    timeWindow: 60_000,
    keyGenerator: (request) => `team:${request.team.id}`,
    max: (request) => request.team.limits.requestsPerMinute ?? defaultPerMinute,
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new TeamRateLimitedError(context.max, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
