import { METRICS_CONTENT_TYPE } from '@neonops/observability';
import fp from 'fastify-plugin';
import { ApiMetrics } from '../../metrics/api-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's metric families (see `metrics/api-metrics.ts`); `/metrics` serves their registry. */
    metrics: ApiMetrics;
  }
}

export interface MetricsPluginOptions {
  /** The metrics to count in. Default: new ones on a registry of their own (no process metrics). */
  metrics?: ApiMetrics | undefined;
}

/**
 * Counts every answered request by method, route template and status, and serves the
 * registry at `GET /metrics` (Prometheus text; no token: expose it on the internal network
 * only). A request that matched no route counts as `unmatched`, so a scan of random URLs
 * cannot grow the label set.
 */
export default fp<MetricsPluginOptions>(
  async (fastify, options) => {
    const metrics = options.metrics ?? new ApiMetrics();
    fastify.decorate('metrics', metrics);

    // A callback hook (no promise per request), counting into label children kept per
    // method, route and status: the label sets are few (route templates, not URLs).
    const counters = new Map<string, { inc(): void }>();
    const timers = new Map<string, { observe(value: number): void }>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      const status = reply.statusCode;
      const counterKey = `${method} ${route} ${status}`;
      let counter = counters.get(counterKey);
      if (!counter) counters.set(counterKey, (counter = metrics.httpRequests.labels({ method, route, status_code: String(status) })));
      counter.inc();
      const timerKey = `${method} ${route}`;
      let timer = timers.get(timerKey);
      if (!timer) timers.set(timerKey, (timer = metrics.httpDuration.labels({ method, route })));
      timer.observe(reply.elapsedTime / 1000);
      done();
    });

    fastify.get(
      '/metrics',
      // Scrapes also answer under pressure: that is when they matter most.
      { schema: { hide: true }, config: { pressureHandler: () => undefined } },
      async (_request, reply) => {
        const text = await metrics.registry.metrics();
        return reply.header('content-type', METRICS_CONTENT_TYPE).header('cache-control', 'no-store').send(text);
      },
    );
  },
  { name: 'metrics' },
);
