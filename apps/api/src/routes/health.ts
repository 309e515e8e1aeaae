import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const checkSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readinessSchema = z.object({ ready: z.boolean(), checks: z.object({ redis: checkSchema, neon: checkSchema }) });

export interface HealthRoutesOptions {
  /** Answers whether Neon's base URL is reachable (any HTTP answer below 500). */
  probeNeon: () => Promise<{ ok: boolean; detail?: string }>;
}

/** `/healthz`: the process is up. `/readyz`: Redis answers PING and Neon is reachable (503 with details otherwise). */
const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (fastify, options) => {
  fastify.get(
    '/healthz',
    { schema: { summary: 'Liveness', tags: ['health'], response: { 200: z.object({ ok: z.literal(true) }) } } },
    async () => ({ ok: true as const }),
  );

  fastify.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis and Neon reachable',
        tags: ['health'],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const [redis, neon] = await Promise.all([
        fastify.redis.status !== 'ready' || fastify.queueRedis.status !== 'ready'
          ? Promise.resolve({ ok: false, detail: `redis connections are ${fastify.redis.status}/${fastify.queueRedis.status}` })
          : fastify.redis.ping().then(
              (answer) => ({ ok: answer === 'PONG' }),
              () => ({ ok: false, detail: 'redis did not answer PING' }),
            ),
        options.probeNeon().catch(() => ({ ok: false, detail: 'neon probe failed' })),
      ]);
      const ready = redis.ok && neon.ok;
      return reply.code(ready ? 200 : 503).send({ ready, checks: { redis, neon } });
    },
  );
};

export default healthRoutes;

/** A probe that GETs the Neon base URL and counts any answer below 500 as reachable. */
export function httpNeonProbe(baseUrl: string, fetchFn: typeof fetch = fetch, timeoutMs = 2000): HealthRoutesOptions['probeNeon'] {
  return async () => {
    try {
      const response = await fetchFn(baseUrl, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return response.status < 500 ? { ok: true } : { ok: false, detail: `neon answered ${response.status}` };
    } catch {
      return { ok: false, detail: 'neon is not reachable' };
    }
  };
}
