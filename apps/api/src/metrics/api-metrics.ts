import { createMetricsRegistry, LATENCY_BUCKETS, MetricFamilies, NeonCallMetrics } from '@neonops/observability';
import type { Counter, Histogram, Registry } from 'prom-client';

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
    const families = new MetricFamilies(registry);
    this.httpRequests = families.counter(
      'neonops_http_requests_total',
      'HTTP requests answered by the API, by method, route template (unmatched: no route) and status code.',
      ['method', 'route', 'status_code'],
    );
    this.httpDuration = families.histogram('neonops_http_request_duration_seconds', 'Time to answer an HTTP request, by method and route template.', ['method', 'route'], LATENCY_BUCKETS);
    this.intentsSubmitted = families.counter('neonops_intents_submitted_total', 'Intents created (an idempotent replay creates none), by kind and team.', ['kind', 'team']);
    this.idempotencyReplays = families.counter(
      'neonops_idempotency_replays_total',
      'Requests answered with the stored answer of an earlier request with the same Idempotency-Key.',
    );
    this.idempotencyConflicts = families.counter(
      'neonops_idempotency_conflicts_total',
      'Idempotency-Key refusals: mismatch (another body, 422) or in_flight (the first still running, 409).',
      ['reason'],
    );
    this.neon = new NeonCallMetrics(registry);
    this.overloaded = families.counter(
      'neonops_http_overloaded_total',
      'Requests refused with 503 because the process was under pressure, by reason (event loop delay or utilization, heap, RSS).',
      ['reason'],
    );
  }
}
