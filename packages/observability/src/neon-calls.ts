import type { NeonClientHooks } from '@neonops/neon-client';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { currentIntentContext, intentLogFields, recordNeonRequestId } from './intent-context.js';
import { LATENCY_BUCKETS, MetricFamilies } from './registry.js';
import { currentTracing, recordNeonCallSpan } from './tracing.js';

/** Metric families of Neon calls; labels are the route template, the method and the status, never an id. */
export class NeonCallMetrics {
  /** One per attempt: `status` is the HTTP status, or `none` when no answer came (timeout, connection). */
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route'>;
  /** `423 Locked` answers (a project busy with other operations). */
  readonly locked: Counter<'method' | 'route'>;
  /** `429` answers (the account's or the route's rate limit). */
  readonly rateLimited: Counter<'method' | 'route'>;
  /** Attempts retried inside one call by the client, by the failed attempt's error code. */
  readonly retries: Counter<'method' | 'route' | 'reason'>;
  /** 1 while Neon's last answer was below 500, 0 after a 5xx or no answer. */
  readonly up: Gauge;
  /** Neon's last answer seen by this process (for `/healthz` detail); undefined before the first call. */
  last: { status: number | null; at: string } | undefined;

  constructor(registry: Registry) {
    const families = new MetricFamilies(registry);
    const byRoute = ['method', 'route'] as const;
    this.requests = families.counter('neonops_neon_requests_total', 'Neon API attempts by method, route template and HTTP status (none: no answer).', [...byRoute, 'status']);
    this.duration = families.histogram('neonops_neon_request_duration_seconds', 'Time from sending a Neon API attempt to its answer (or failure).', byRoute, LATENCY_BUCKETS);
    this.locked = families.counter('neonops_neon_locked_total', 'Neon answers 423 Locked.', byRoute);
    this.rateLimited = families.counter('neonops_neon_rate_limited_total', 'Neon answers 429 Too Many Requests.', byRoute);
    this.retries = families.counter('neonops_neon_retries_total', 'Neon attempts retried by the client within one call, by the error code of the failed attempt.', [...byRoute, 'reason']);
    this.up = families.gauge('neonops_neon_up', "1 while Neon's last answer was below 500; 0 after a 5xx or no answer.");
  }
}

/** The part of a pino (or Fastify) logger the observer writes to. */
export interface CallLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface NeonCallObserverOptions {
  /** Where each attempt is logged at `info` (a failed one at `warn`). */
  logger: CallLogger;
  /** Where attempts are counted. Default: not counted. */
  metrics?: NeonCallMetrics;
}

/** The intent's log fields as span attributes (`neonops.intent_id`, `neonops.team_id`, `neonops.step`). */
function spanAttributes(fields: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value === 'string' || typeof value === 'number') out[`neonops.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`] = String(value);
  }
  return out;
}

/**
 * Hooks for the Neon client: every attempt is logged with its method, route template,
 * status, duration, our `X-Request-ID` and Neon's `request_id`, plus the intent's
 * `intentId`/`teamId`/step when it runs in an intent context; counted in `metrics`; and, when
 * tracing is on (`startTracing`), recorded as a span with Neon's `request_id` as `neon.request_id`.
 */
export function observeNeonCalls(options: NeonCallObserverOptions): NeonClientHooks {
  const { logger, metrics } = options;
  return {
    onResponse(info) {
      const status = info.status === undefined ? 'none' : String(info.status);
      if (metrics) {
        metrics.requests.inc({ method: info.method, route: info.route, status });
        metrics.duration.observe({ method: info.method, route: info.route }, info.durationMs / 1000);
        if (info.status === 423) metrics.locked.inc({ method: info.method, route: info.route });
        if (info.status === 429) metrics.rateLimited.inc({ method: info.method, route: info.route });
        metrics.up.set(info.status !== undefined && info.status < 500 ? 1 : 0);
        metrics.last = { status: info.status ?? null, at: new Date().toISOString() };
      }
      const context = currentIntentContext();
      recordNeonRequestId(info, context);
      const intent = intentLogFields(context);
      if (currentTracing()) recordNeonCallSpan(info, spanAttributes(intent));
      const line = {
        ...intent,
        neon: {
          method: info.method,
          route: info.route,
          status: info.status ?? null,
          durationMs: Math.round(info.durationMs),
          attempt: info.attempt,
          requestId: info.requestId,
          ...(info.neonRequestId === undefined ? {} : { neonRequestId: info.neonRequestId }),
          ...(info.errorCode === undefined ? {} : { errorCode: info.errorCode }),
        },
      };
      if (info.status !== undefined && info.status < 400) logger.info(line, 'neon call');
      else logger.warn(line, 'neon call failed');
    },
    onRetry(info) {
      metrics?.retries.inc({ method: info.method, route: info.route, reason: info.errorCode });
    },
  };
}
