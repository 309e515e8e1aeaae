import { bullPrefix, closeRedis, createRedis, handshakenWithin, INTENTS_QUEUE } from '@neonops/intents';
import { WEBHOOKS_QUEUE } from '@neonops/webhooks';
import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { startWorkerHttp, type Check, type WorkerHttp } from './http.js';
import type { WorkerMetrics, WorkerMetricSources } from './worker-metrics.js';

export interface WorkerMonitoringDeps {
  redisUrl: string;
  keyPrefix: string;
  outboxKey: string;
  metrics: WorkerMetrics;
  rateBudget: WorkerMetricSources['rateBudget'];
  /** The listener; undefined: none (the gauges are still read when the registry is scraped another way). */
  http: { port: number; host: string } | undefined;
  /** Whether the process's BullMQ workers are running (false once closing: `/readyz` turns 503). */
  running: () => boolean;
  logger: Logger;
  /** Longest wait for Redis's PING in `/readyz`, in ms. Default 1000. */
  pingTimeoutMs?: number;
}

export interface WorkerMonitoring {
  /** Where the listener answers; undefined without one. */
  readonly url: string | undefined;
  /** Closes the listener, the queues it reads and its connection. */
  close(): Promise<void>;
}

/**
 * The worker's monitoring: one fail-fast Redis connection (no offline queue, one try per
 * command) for the gauges and `/readyz`, so a scrape or a probe answers at once while Redis
 * is away, unlike the workers' own connections, which wait for Redis by design; and the
 * `/metrics` `/healthz` `/readyz` listener.
 *
 * Readiness is "this process can do its job": Redis answers PING and the workers run. Neon's
 * state is never a reason: Neon being down affects every replica alike, and taking them out
 * of rotation would only stop the intents that wait for it from being checkpointed; it is
 * reported in `/healthz` and in `neonops_neon_up`.
 */
export async function startWorkerMonitoring(deps: WorkerMonitoringDeps): Promise<WorkerMonitoring> {
  const redis = createRedis(deps.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  // The workers' connections already report Redis errors; this one only answers probes.
  redis.on('error', () => undefined);
  const prefix = bullPrefix(deps.keyPrefix);
  const queues = [new Queue(INTENTS_QUEUE, { connection: redis, prefix }), new Queue(WEBHOOKS_QUEUE, { connection: redis, prefix })];
  for (const queue of queues) queue.on('error', () => undefined);
  deps.metrics.watch({ queues, redis, outboxKey: deps.outboxKey, rateBudget: deps.rateBudget });
  const pingTimeoutMs = deps.pingTimeoutMs ?? 1000;
  // Ready from the first probe when Redis is there, the queues' handshake done (a close right
  // after the start must not cut it short: see handshaken); a Redis that is away does not hold the start.
  await handshakenWithin(2000, ...queues);

  const pingRedis = async (): Promise<Check> => {
    if (redis.status !== 'ready') return { ok: false, detail: `redis connection is ${redis.status}` };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Check>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `redis did not answer PING within ${pingTimeoutMs} ms` }), pingTimeoutMs);
    });
    const ping = redis.ping().then(
      (answer): Check => ({ ok: answer === 'PONG' }),
      (): Check => ({ ok: false, detail: 'redis did not answer PING' }),
    );
    const check = await Promise.race([ping, timeout]);
    clearTimeout(timer);
    return check;
  };

  let http: WorkerHttp | undefined;
  if (deps.http) {
    http = await startWorkerHttp({
      port: deps.http.port,
      host: deps.http.host,
      registry: deps.metrics.registry,
      readiness: async () => {
        const workers: Check = deps.running() ? { ok: true } : { ok: false, detail: 'the workers are stopping' };
        const checks = { redis: await pingRedis(), workers };
        return { ready: checks.redis.ok && workers.ok, checks };
      },
      health: () => {
        const last = deps.metrics.neon.last;
        return {
          neon: last
            ? { reachable: last.status !== null && last.status < 500, lastStatus: last.status, lastAt: last.at }
            : { reachable: null, detail: 'no Neon call yet' },
        };
      },
    });
    deps.logger.info({ url: http.url }, 'worker monitoring listening (/metrics, /healthz, /readyz)');
  }

  let closing: Promise<void> | undefined;
  return {
    url: http?.url,
    close() {
      closing ??= (async () => {
        await http?.close();
        await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
        await closeRedis(redis);
      })();
      return closing;
    },
  };
}
