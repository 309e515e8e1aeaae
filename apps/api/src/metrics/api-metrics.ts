import { createMetricsRegistry, LATENCY_BUCKETS, NeonCallMetrics } from '@neonops/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The API process's metric families. Labels are route templates (`/v1/intents/:id`, never
 * a path with an id), methods, status codes, kinds, teams (a configured, bounded set) and
 * reasons: never an intent, project or key id.
 */
export class ApiMetrics {
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly intentsSubmitted: Counter<'kind' | 'team'>;
  readonly idempotencyReplays: Counter;
  readonly idempotencyConflicts: Counter<'reason'>;
  /** The read-through Neon client's calls, and `neonops_neon_up` (also set by the `/healthz` probe). */
  readonly neon: NeonCallMetrics;
  readonly overloaded: Counter<'reason'>;

  /** @param registry where the families live. Default: a registry of their own, without Node's process metrics. */
  constructor(readonly registry: Registry = createMetricsRegistry({ defaultMetrics: false })) {
    const registers = [registry];
    this.httpRequests = new Counter({
      name: 'neonops_http_requests_total',
      help: 'HTTP requests answered by the API, by method, route template (unmatched: no route) and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'neonops_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method and route template.',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.intentsSubmitted = new Counter({
      name: 'neonops_intents_submitted_total',
      help: 'Intents created (an idempotent replay creates none), by kind and team.',
      labelNames: ['kind', 'team'],
      registers,
    });
    this.idempotencyReplays = new Counter({
      name: 'neonops_idempotency_replays_total',
      help: 'Requests answered with the stored answer of an earlier request with the same Idempotency-Key.',
      registers,
    });
    this.idempotencyConflicts = new Counter({
      name: 'neonops_idempotency_conflicts_total',
      help: 'Idempotency-Key refusals: mismatch (another body, 422) or in_flight (the first still running, 409).',
      labelNames: ['reason'],
      registers,
    });
    this.neon = new NeonCallMetrics(registry);
    this.overloaded = new Counter({
      name: 'neonops_http_overloaded_total',
      help: 'Requests refused with 503 because the process was under pressure, by reason (event loop delay or utilization, heap, RSS).',
      labelNames: ['reason'],
      registers,
    });
  }
}
