import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

const checkSchema = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readinessSchema = z.object({ ready: z.boolean(), checks: z.object({ redis: checkSchema }) });
const healthSchema = z.object({
  ok: z.literal(true),
  neon: z
    .object({ reachable: z.boolean(), detail: z.string().optional(), checkedAt: z.string() })
    .describe('Whether Neon answered below 500 at the last probe (at most one probe per `neonProbeIntervalMs`); never makes this 503'),
});

export interface HealthRoutesOptions {
  /** Answers whether Neon's base URL is reachable (any HTTP answer below 500). */
  probeNeon: () => Promise<{ ok: boolean; detail?: string }>;
  /** How long a Neon probe's answer is reused by `/healthz`, in ms. Default 10000. */
  neonProbeIntervalMs?: number;
  /** Told each probe's result (the `neonops_neon_up` gauge). Default none. */
  onNeonProbed?: (reachable: boolean) => void;
}

/**
 * `/healthz`: the process is up (always 200 while it answers); Neon's reachability is a
 * detail. `/readyz`: this process can do its job, i.e. Redis answers PING on both
 * connections; 503 with the failing check otherwise. Neon's state is never a reason to
 * leave rotation: Neon down affects every replica alike, and the API accepts intents
 * without it (the workers wait for Neon).
 */
const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (fastify, options) => {
  const intervalMs = options.neonProbeIntervalMs ?? 10_000;
  let last: { at: number; value: Promise<{ reachable: boolean; detail?: string; checkedAt: string }> } | undefined;
  /** One probe at a time, reused for `intervalMs`: liveness probes never hammer Neon. */
  const neonState = () => {
    const now = Date.now();
    if (!last || now - last.at >= intervalMs) {
      const value = options
        .probeNeon()
        .catch(() => ({ ok: false, detail: 'neon probe failed' }))
        .then((result) => {
          options.onNeonProbed?.(result.ok);
          return { reachable: result.ok, ...(result.detail === undefined ? {} : { detail: result.detail }), checkedAt: new Date().toISOString() };
        });
      last = { at: now, value };
    }
    return last.value;
  };

  fastify.get(
    '/healthz',
    {
      // A busy process is alive: liveness is answered under pressure too.
      config: { pressureHandler: () => undefined },
      schema: { summary: 'Liveness, with Neon’s reachability as a detail', tags: ['health'], response: { 200: healthSchema } },
    },
    async () => ({ ok: true as const, neon: await neonState() }),
  );

  fastify.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Redis reachable (Neon is not checked)',
        tags: ['health'],
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const redis =
        fastify.redis.status !== 'ready' || fastify.queueRedis.status !== 'ready'
          ? { ok: false, detail: `redis connections are ${fastify.redis.status}/${fastify.queueRedis.status}` }
          : await fastify.redis.ping().then(
              (answer) => ({ ok: answer === 'PONG' }),
              () => ({ ok: false, detail: 'redis did not answer PING' }),
            );
      return reply.code(redis.ok ? 200 : 503).send({ ready: redis.ok, checks: { redis } });
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
