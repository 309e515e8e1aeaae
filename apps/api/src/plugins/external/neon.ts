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
        // Each attempt logged at info (method, route template, status, duration, request ids) and counted.
        hooks: observeNeonCalls({ logger: fastify.log, ...(fastify.hasDecorator('metrics') ? { metrics: fastify.metrics.neon } : {}) }),
      }),
    );
  },
  { name: 'neon' },
);
