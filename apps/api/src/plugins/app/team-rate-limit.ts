import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { TeamRateLimitedError } from '../../errors.js';

export interface TeamRateLimitOptions {
  /** Key prefix; the counters are `<prefix>ratelimit:team:<id>`, each with the window as TTL. */
  keyPrefix: string;
  /** Requests per minute of a team without `limits.requestsPerMinute`. Default 600. */
  defaultPerMinute?: number;
}

/**
 * Each team's request rate limit, shared by every replica (the counters live in Redis,
 * `@fastify/rate-limit`'s Redis store): one team flooding the API — read-through routes
 * above all, which spend the Neon account's 700 requests/min — gets `429 rate_limited` with
 * `Retry-After`, and other teams are answered as before. Keyed by team id (all its tokens
 * together); runs after authentication (`preHandler`). A Redis error lets the request
 * through (`skipOnError`): the route itself then answers 503 if it needs Redis.
 *
 * Registered inside the scope of the team routes, so that hooks and health are not counted.
 */
export async function registerTeamRateLimit(scope: FastifyInstance, options: TeamRateLimitOptions): Promise<void> {
  const defaultPerMinute = options.defaultPerMinute ?? 600;
  await scope.register(rateLimit, {
    hook: 'preHandler',
    redis: scope.redis,
    nameSpace: `${options.keyPrefix}ratelimit:`,
    timeWindow: 60_000,
    keyGenerator: (request) => `team:${request.team.id}`,
    max: (request) => request.team.limits.requestsPerMinute ?? defaultPerMinute,
    skipOnError: true,
    errorResponseBuilder: (_request, context) => new TeamRateLimitedError(context.max, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
