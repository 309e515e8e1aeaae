import { context, propagation, SpanKind, trace, TraceFlags, type AttributeValue, type Context, type Span, type Tracer } from '@opentelemetry/api';

/** BullMQ's span, as its `Telemetry` interface wants it. */
export interface QueueSpan {
  setSpanOnContext(ctx: Context): Context;
  setAttribute(key: string, value: AttributeValue): void;
  setAttributes(attributes: Record<string, AttributeValue | undefined>): void;
  addEvent(name: string, attributes?: Record<string, AttributeValue | undefined>): void;
  recordException(exception: string | { message?: string; name?: string; code?: string | number }, time?: number): void;
  end(): void;
}

/**
 * BullMQ's `Telemetry` (what `bullmq-otel` provides), written for a cheap unsampled path: give
 * it to every `Queue` and `Worker` as `telemetry` (see `bullmqTelemetry()`).
 */
export interface QueueTelemetry {
  tracer: { startSpan(name: string, options?: { kind: number }, ctx?: Context): QueueSpan };
  contextManager: {
    with<A extends (...args: unknown[]) => unknown>(ctx: Context, fn: A): ReturnType<A>;
    active(): Context;
    getMetadata(ctx: Context): string;
    fromMetadata(active: Context, metadata: string): Context;
  };
}

/** What a span that is not recorded does: nothing, and it leaves the context as it was. */
const SKIPPED: QueueSpan = {
  setSpanOnContext: (ctx) => ctx,
  setAttribute: () => undefined,
  setAttributes: () => undefined,
  addEvent: () => undefined,
  recordException: () => undefined,
  end: () => undefined,
};

class RecordedSpan implements QueueSpan {
  constructor(private readonly span: Span) {}
  setSpanOnContext(ctx: Context): Context {
    return trace.setSpan(ctx, this.span);
  }
  setAttribute(key: string, value: AttributeValue): void {
    this.span.setAttribute(key, value);
  }
  setAttributes(attributes: Record<string, AttributeValue | undefined>): void {
    this.span.setAttributes(attributes);
  }
  addEvent(name: string, attributes?: Record<string, AttributeValue | undefined>): void {
    this.span.addEvent(name, attributes);
  }
  recordException(exception: string | { message?: string; name?: string; code?: string | number }, time?: number): void {
    this.span.recordException(typeof exception === 'string' ? exception : { message: exception.message ?? '', name: exception.name ?? 'Error', ...(exception.code === undefined ? {} : { code: exception.code }) }, time);
  }
  end(): void {
    this.span.end();
  }
}

/** Whether `ctx` holds a span context whose trace is kept (sampled). */
export function isSampled(ctx: Context): boolean {
  const parent = trace.getSpanContext(ctx);
  return parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}

/**
 * BullMQ telemetry that records a queue span only where it belongs to a kept trace:
 *
 * - a consumer (`process`) span only under the trace context its job carries, when that trace
 *   is kept — never a new trace per job run, nor for BullMQ's internal bookkeeping (`getNextJob`,
 *   stalled checks…), which would otherwise each start a trace in the worker;
 * - a producer (`add`) span under a kept trace, or as the root of a new trace when the
 *   sampler keeps it (a job the worker adds on its own: schedules, sweeper, outbox relay);
 * - the trace context goes into the job (`opts.telemetry.metadata`) only when the trace is
 *   kept: an unsampled job carries nothing, so the worker does nothing for it either.
 *
 * Nothing is done and no context entered for anything else: no span object, no JSON, no
 * `AsyncLocalStorage` run (BullMQ wraps every call in `with`; entering the context it is
 * already in is skipped).
 */
export function createQueueTelemetry(tracer: Tracer): QueueTelemetry {
  return {
    tracer: {
      startSpan(name, spanOptions, ctx) {
        const parent = ctx ?? context.active();
        const kind = spanOptions?.kind ?? SpanKind.INTERNAL;
        if (!isSampled(parent) && !(kind === SpanKind.PRODUCER && trace.getSpanContext(parent) === undefined)) return SKIPPED;
        const span = tracer.startSpan(name, { kind }, parent);
        return span.isRecording() ? new RecordedSpan(span) : SKIPPED;
      },
    },
    contextManager: {
      with: <A extends (...args: unknown[]) => unknown>(ctx: Context, fn: A) => (ctx === context.active() ? fn() : context.with(ctx, fn as () => ReturnType<A>)) as ReturnType<A>,
      active: () => context.active(),
      // BullMQ adds the job without `opts.telemetry` when this is empty.
      getMetadata(ctx) {
        if (!isSampled(ctx)) return undefined as unknown as string;
        const carrier: Record<string, string> = {};
        propagation.inject(ctx, carrier);
        return JSON.stringify(carrier);
      },
      fromMetadata(active, metadata) {
        try {
          return propagation.extract(active, JSON.parse(metadata) as Record<string, string>);
        } catch {
          return active;
        }
      },
    },
  };
}

/** A job's trace context as BullMQ keeps it in the job's options (`opts.telemetry`). */
export interface JobTelemetry {
  metadata: string;
}

/**
 * Adds a job under an explicit trace context (see `jobAddTracer`): `add` gets the job options'
 * `telemetry` to pass to `queue.add`, and gets none outside a kept trace.
 */
export type JobAddTracer = <T>(jobName: string, add: (telemetry?: JobTelemetry) => Promise<T>) => Promise<T>;

/**
 * The producer (`add <queue>.<job>`) span of a job added under `parent`, a kept trace's context
 * handed over explicitly (a request's, see `requestTraceContext`), rather than read from an
 * async context manager: the same span and attributes BullMQ's telemetry records, and the
 * span's context in the job's options (`opts.telemetry.metadata`), where the worker's
 * `process` span continues the trace. For a queue without BullMQ telemetry (BullMQ then keeps
 * the options' telemetry as given).
 */
export async function addUnderTrace<T>(tracer: Tracer, parent: Context, queueName: string, jobName: string, add: (telemetry?: JobTelemetry) => Promise<T>): Promise<T> {
  const span = tracer.startSpan(`add ${queueName}.${jobName}`, { kind: SpanKind.PRODUCER }, parent);
  if (!span.isRecording()) return add();
  span.setAttributes({ 'bullmq.queue.name': queueName, 'bullmq.queue.operation': 'add', 'bullmq.job.name': jobName });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  try {
    const job = await add({ metadata: JSON.stringify(carrier) });
    const id = (job as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') span.setAttribute('bullmq.job.id', id);
    return job;
  } catch (error) {
    span.recordException(error instanceof Error ? { message: error.message, name: error.name } : String(error));
    throw error;
  } finally {
    span.end();
  }
}
