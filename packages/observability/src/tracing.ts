import { FastifyOtelInstrumentation } from '@fastify/otel';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { BullMQOtel } from 'bullmq-otel';

/** The tracer name of our own spans (Neon calls); BullMQ's and Fastify's use their own. */
export const TRACER_NAME = '@neonops/observability';

/** Paths never traced: probes and scrapes, many per minute, nothing to follow. */
const UNTRACED_PATHS = new Set(['/metrics', '/healthz', '/readyz', '/livez']);

export interface TracingOptions {
  /** `service.name` of the spans (`neonops-api`, `neonops-worker`, `neonops-stack`). */
  serviceName: string;
  /**
   * The environment: tracing is on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (not empty);
   * spans go to `<endpoint>/v1/traces` (OTLP over HTTP, protobuf-free JSON) unless
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` names the full URL. `OTEL_EXPORTER_OTLP_HEADERS`
   * (e.g. an API key) is read by the exporter and never logged.
   */
  env: Record<string, string | undefined>;
  /** Tests: where spans go instead of OTLP (exported at once, one by one); turns tracing on. */
  exporter?: SpanExporter;
}

/** Tracing of this process, once started. */
export interface Tracing {
  /** BullMQ's telemetry (`bullmq-otel`): give it to every `Queue` and `Worker` as `telemetry`. */
  readonly telemetry: BullMQOtel;
  readonly tracer: Tracer;
  /** Exports the spans still buffered. */
  flush(): Promise<void>;
  /** Flushes and stops: no span is recorded after it. */
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

/** The OTLP endpoint when tracing is asked for, else undefined. */
export function otlpEndpoint(env: Record<string, string | undefined>): string | undefined {
  const value = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT)?.trim();
  return value ? value : undefined;
}

/**
 * Starts OpenTelemetry tracing for this process when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or
 * an exporter is given); without it nothing is registered and this returns undefined, so the
 * hot paths pay nothing (no BullMQ telemetry, no Fastify hooks, no Neon spans).
 *
 * Call it before the Fastify app and the BullMQ queues and workers are created: it registers
 * a global tracer provider (W3C trace context, AsyncLocalStorage), `@fastify/otel` on every
 * Fastify instance created afterwards (a `request` span per request, the `traceparent` of the
 * caller honoured), and makes `bullmqTelemetry()` answer, so a job carries its producer's
 * context in its options and the worker's `process` span continues the API's trace. Once per
 * process: a second call (the stack starts the API and a worker) returns the first.
 */
export function startTracing(options: TracingOptions): Tracing | undefined {
  if (current) return current;
  const endpoint = otlpEndpoint(options.env);
  if (!options.exporter && !endpoint) return undefined;
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({
      url: options.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || `${endpoint!.replace(/\/+$/, '')}/v1/traces`,
    });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.env.OTEL_SERVICE_NAME?.trim() || options.serviceName }),
    // A caller's sampling decision (traceparent) is followed; new traces are kept at the ratio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(samplingRatio(options.env)) }),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const fastify = new FastifyOtelInstrumentation({
    registerOnInitialization: true,
    // One `request` span per request, not one per hook (auth, idempotency, rate limit,
    // metrics…) nor for the handler: the handler runs in the request span's context anyway, and
    // the extra spans were most of tracing's cost on the POST path for little insight.
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: (route: { url?: string }) => route.url !== undefined && UNTRACED_PATHS.has(route.url),
  });
  fastify.setTracerProvider(provider);
  fastify.enable();
  const tracing: Tracing = {
    telemetry: new BullMQOtel(TRACER_NAME),
    tracer: provider.getTracer(TRACER_NAME),
    flush: () => provider.forceFlush(),
    async shutdown() {
      fastify.disable();
      if (current === tracing) current = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
  current = tracing;
  return tracing;
}

/**
 * The share of new traces kept: `OTEL_TRACES_SAMPLER_ARG`, a number in [0, 1] (OpenTelemetry's
 * `parentbased_traceidratio`); default 1 (every intent). Anything else is refused at start.
 */
export function samplingRatio(env: Record<string, string | undefined>): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!raw) return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1, not ${JSON.stringify(raw)}`);
  return ratio;
}

/** The running tracing, if any. */
export function currentTracing(): Tracing | undefined {
  return current;
}

/**
 * `{ telemetry }` for a BullMQ `Queue` or `Worker` when tracing is on, else `{}`: spread it
 * into their options (`new Queue(name, { connection, ...bullmqTelemetry() })`).
 */
export function bullmqTelemetry(): { telemetry?: BullMQOtel } {
  return current ? { telemetry: current.telemetry } : {};
}

/** What a Neon call span records (from the Neon client's `onResponse`). */
export interface NeonCallSpanInfo {
  method: string;
  route: string;
  status?: number;
  durationMs: number;
  attempt: number;
  requestId?: string;
  neonRequestId?: string;
  errorCode?: string;
}

/**
 * A finished span for one Neon attempt, child of the active span (the job's, or the API
 * request's), dated from its duration. No-op when tracing is off.
 */
export function recordNeonCallSpan(info: NeonCallSpanInfo, attributes: Record<string, string> = {}): void {
  if (!current) return;
  const end = Date.now();
  const span = current.tracer.startSpan(
    `neon ${info.method} ${info.route}`,
    {
      kind: SpanKind.CLIENT,
      startTime: end - info.durationMs,
      attributes: {
        'http.request.method': info.method,
        'url.template': info.route,
        'neon.attempt': info.attempt,
        ...(info.status === undefined ? {} : { 'http.response.status_code': info.status }),
        ...(info.requestId === undefined ? {} : { 'neon.x_request_id': info.requestId }),
        ...(info.neonRequestId === undefined ? {} : { 'neon.request_id': info.neonRequestId }),
        ...(info.errorCode === undefined ? {} : { 'error.type': info.errorCode }),
        ...attributes,
      },
    },
    context.active(),
  );
  if (info.status === undefined || info.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: info.errorCode ?? String(info.status) });
  span.end(end);
}
