import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type CounterConfiguration, type GaugeConfiguration } from 'prom-client';

/** The content type of the Prometheus text format `/metrics` answers with. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MetricsRegistryOptions {
  /**
   * Also collect Node's process metrics (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`,
   * heap, GC…). Default true. Tests building many apps in one process turn it off: each
   * collection installs observers that live as long as the process.
   */
  defaultMetrics?: boolean;
  /** Labels on every series, e.g. `{ service: 'api' }`. Default none. */
  labels?: Record<string, string>;
}

/**
 * A Prometheus registry of its own (never prom-client's global one): two apps in one
 * process (the stack, tests) each count their own, and nothing leaks between tests.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Buckets for durations from milliseconds to minutes (Neon calls, webhook attempts, HTTP),
 * in seconds.
 */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets for intents and Neon operations: a second to an hour, in seconds. */
export const LONG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Makes the metric families of one registry, one call each: name, help and label names (a
 * histogram: and its buckets; a family read at scrape time: its `collect`, called with the
 * family as `this`). prom-client's constructors would take `registers: [registry]` in every
 * family's options; the API's and the worker's metrics state it once here.
 */
export class MetricFamilies {
  constructor(readonly registry: Registry) {}

  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = [], collect?: CounterConfiguration<L>['collect']): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = [], collect?: GaugeConfiguration<L>['collect']): Gauge<L> {
    return new Gauge<L>({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  histogram<L extends string = string>(name: string, help: string, labelNames: readonly L[], buckets: number[]): Histogram<L> {
    return new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
