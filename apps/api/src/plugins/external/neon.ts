import { RedisRateBudget } from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import { observeNeonCalls } from '@neonops/observability';
import fp from 'fastify-plugin';

/** The Neon calls the API makes: reads only (mutations are the worker's). */
export type NeonReader = Pick<
  NeonClient,
  | 'getProject'
  | 'listBranches'
  | 'getBranch'
  | 'listBranchEndpoints'
  | 'listEndpoints'
  | 'getEndpoint'
  | 'listDatabases'
  | 'listRoles'
  | 'listOperations'
  | 'getConnectionUri'
>;

declare module 'fastify' {
  interface FastifyInstance {
    /** `undefined` when no Neon API key is configured: read-through routes then answer 503. */
    neon: NeonReader | undefined;
  }
}

export interface NeonPluginOptions {
  /** A ready client (tests, or main wiring its own), or the settings to make one, or nothing. */
  neon?: NeonReader | { apiKey: string; baseUrl: string; fetch?: typeof fetch } | undefined;
  /**
   * The Neon rate budget shared with the workers (`RedisRateBudget` on the same `KEY_PREFIX`
   * and limits as theirs: `NEON_RATE_PER_MINUTE`, `NEON_RATE_PER_ROUTE_PER_SECOND`). A read
   * waits at most `maxWaitMs` for room, then answers `503 neon_unavailable`. Default: the
   * budget on `keyPrefix` with Neon's limits (700/min, 40/s per route) and 2000 ms.
   * Only for a client made from settings (a ready client brings its own).
   */
  budget?: { keyPrefix: string; perMinute?: number; perRoutePerSecond?: number; maxWaitMs?: number };
}

function isReader(value: NonNullable<NeonPluginOptions['neon']>): value is NeonReader {
  return typeof (value as Partial<NeonReader>).getProject === 'function';
}

/**
 * The Neon client for read-through routes. Reads are cheap to retry, but an HTTP request
 * must not wait long: a short timeout and few attempts, then 502/503 to the caller.
 */
export default fp<NeonPluginOptions>(
  async (fastify, options) => {
    const neon = options.neon;
    if (neon === undefined) {
      fastify.decorate('neon', undefined);
      return;
    }
    if (isReader(neon)) {
      fastify.decorate('neon', neon);
      return;
    }
    fastify.decorate(
      'neon',
      createNeonClient({
        apiKey: neon.apiKey,
        baseUrl: neon.baseUrl,
        ...(neon.fetch ? { fetch: neon.fetch } : {}),
        timeoutMs: 10_000,
        retry: { maxAttempts: 2, maxElapsedMs: 15_000 },
        userAgent: 'neonops-api',
        ...(options.budget
          ? {
              rateBudget: new RedisRateBudget(fastify.redis, {
                prefix: options.budget.keyPrefix,
                maxWaitMs: options.budget.maxWaitMs ?? 2000,
                ...(options.budget.perMinute === undefined ? {} : { perMinute: options.budget.perMinute }),
                ...(options.budget.perRoutePerSecond === undefined ? {} : { perRoutePerSecond: options.budget.perRoutePerSecond }),
              }),
            }
          : {}),
        // Each attempt logged at info (method, route template, status, duration, request ids) and counted.
        hooks: observeNeonCalls({ logger: fastify.log, ...(fastify.hasDecorator('metrics') ? { metrics: fastify.metrics.neon } : {}) }),
      }),
    );
  },
  { name: 'neon', dependencies: ['redis'] },
);
