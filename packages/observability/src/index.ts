export { REDACT_PATHS, REDACT_CENSOR, redactOptions } from './redact.js';
export { runInIntentContext, currentIntentContext, intentLogFields, neonRequestId, recordNeonRequestId, takeNeonRequestIds, type IntentContext } from './intent-context.js';
export { createMetricsRegistry, MetricFamilies, METRICS_CONTENT_TYPE, LATENCY_BUCKETS, LONG_BUCKETS, type MetricsRegistryOptions } from './registry.js';
export { NeonCallMetrics, observeNeonCalls, type NeonCallObserverOptions } from './neon-calls.js';
export { parsePrometheusText, sampleValue, type Sample } from './prometheus-text.js';
export { closeWithGrace, type CloseWithGraceOptions, type ProcessLike } from './shutdown.js';
export {
  startTracing,
  currentTracing,
  bullmqTelemetry,
  recordNeonCallSpan,
  jobAddTracer,
  otlpEndpoint,
  TRACER_NAME,
  type Tracing,
  type TracingOptions,
  type NeonCallSpanInfo,
} from './tracing.js';
export { samplingRatio, samplerFromEnv, DEFAULT_SAMPLING_RATIO, DEFAULT_SAMPLER } from './sampling.js';
export { createQueueTelemetry, addUnderTrace, type QueueTelemetry, type JobAddTracer, type JobTelemetry } from './queue-telemetry.js';
export { instrumentFastify, requestTraceContext } from './http-spans.js';
