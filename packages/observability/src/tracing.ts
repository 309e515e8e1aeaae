import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { instrumentFastify } from './http-spans.js';
import { addUnderTrace, createQueueTelemetry, isSampled, type JobAddTracer, type QueueTelemetry } from './queue-telemetry.js';
import { samplerFromEnv } from './sampling.js';

/** The tracer name of our spans: requests, queue operations, Neon calls. */
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
  /**
   * Whether to install the global async context manager (`AsyncLocalStorage`), so the active
   * span follows every `await`. A process that hands trace contexts on explicitly needs none:
   * the API passes a request's context to the job it adds (`requestTraceContext`,
   * `jobAddTracer`) and starts tracing with `false`. Node 20's `AsyncLocalStorage` runs promise
   * hooks for every promise of the process once any context is entered: most of what tracing
   * still cost on the POST path at the default sampling (`bench/README.md`, "Tracing on vs off"). The worker keeps it (its Neon
   * calls and webhook deliveries run inside its job spans), and so does a process running both.
   * Default true.
   */
  asyncContext?: boolean;
}

/** Tracing of this process, once started. */
export interface Tracing {
  /** BullMQ's telemetry (see {@link createQueueTelemetry}): give it to every `Queue` and `Worker` as `telemetry`. */
  readonly telemetry: QueueTelemetry;
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
 * a global tracer provider (W3C trace context; AsyncLocalStorage unless `asyncContext: false`) with the sampler of
 * `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` (default: parent-based, one new trace in ten),
 * a server span per request on every Fastify instance created afterwards (`instrumentFastify`,
 * the caller's `traceparent` honoured), and makes `bullmqTelemetry()` answer, so a job of a
 * kept trace carries its producer's context in its options and the worker's `process` span
 * continues the API's trace. A trace not kept costs next to nothing anywhere (see
 * `createQueueTelemetry`). Once per process: a second call (the stack starts the API and a
 * worker) returns the first.
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
    // OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG; default: a caller's decision (traceparent)
    // is followed, and one new trace in ten is kept.
    sampler: samplerFromEnv(options.env),
    spanProcessors: [options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  // `null`: no context manager at all; `context.with` is then a plain call and `active()` the root.
  provider.register(options.asyncContext === false ? { contextManager: null } : {});
  const tracer = provider.getTracer(TRACER_NAME);
  const stopHttp = instrumentFastify(tracer, UNTRACED_PATHS);
  const tracing: Tracing = {
    telemetry: createQueueTelemetry(tracer),
    tracer,
    flush: () => provider.forceFlush(),
    async shutdown() {
      stopHttp();
      if (current === tracing) current = undefined;
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
  current = tracing;
  return tracing;
}

/** The running tracing, if any. */
export function currentTracing(): Tracing | undefined {
  return current;
}

/**
 * `{ telemetry }` for a BullMQ `Queue` or `Worker` when tracing is on, else `{}`: spread it
 * into their options (`new Queue(name, { connection, ...bullmqTelemetry() })`). The API adds its
 * jobs inside requests with {@link jobAddTracer} instead (no async context manager there).
 */
export function bullmqTelemetry(): { telemetry?: QueueTelemetry } {
  return current ? { telemetry: current.telemetry } : {};
}

/**
 * Adds of a job under `parent` — a kept trace's context handed over explicitly, such as a
 * request's (`requestTraceContext`) — traced without any async context: the producer span
 * `add <queueName>.<job name>` (a child of `parent`) and its context in the job's options, so
 * the worker's `process` span continues the trace. Undefined when tracing is off, without a
 * parent or outside a kept trace: the job is then added as is (carrying no trace context).
 * For queues without BullMQ telemetry of their own (the API's).
 */
export function jobAddTracer(parent: Context | undefined, queueName: string): JobAddTracer | undefined {
  const tracing = current;
  if (!tracing || !parent || !isSampled(parent)) return undefined;
  return (jobName, add) => addUnderTrace(tracing.tracer, parent, queueName, jobName, add);
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
 * request's), dated from its duration. No-op when tracing is off, and outside a kept trace: a
 * Neon call of an intent whose trace was not kept starts no trace of its own.
 */
export function recordNeonCallSpan(info: NeonCallSpanInfo, attributes: Record<string, string> = {}): void {
  if (!current || !trace.getSpan(context.active())?.isRecording()) return;
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
