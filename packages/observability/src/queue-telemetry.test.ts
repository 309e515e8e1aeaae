import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createQueueTelemetry } from './queue-telemetry.js';
import { jobAddTracer, startTracing } from './tracing.js';

function tracingWith(ratio: string) {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_TRACES_SAMPLER_ARG: ratio }, exporter })!;
  onTestFinished(() => tracing.shutdown());
  return { exporter, tracing };
}

const sampledParent = (flags: number): Context =>
  trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: flags, isRemote: true });

describe('queue telemetry (BullMQ)', () => {
  it('a producer under a kept trace gets a span and puts the trace context in the job; a consumer continues it', async () => {
    const { exporter, tracing } = tracingWith('1');
    const telemetry = createQueueTelemetry(tracing.tracer);
    const parent = sampledParent(TraceFlags.SAMPLED);
    const add = telemetry.tracer.startSpan('add intents.branch.create', { kind: SpanKind.PRODUCER }, parent);
    const jobContext = add.setSpanOnContext(parent);
    const metadata = telemetry.contextManager.getMetadata(jobContext);
    expect(JSON.parse(metadata) as Record<string, string>).toEqual({ traceparent: expect.stringMatching(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/) });
    add.end();

    const worker = createQueueTelemetry(tracing.tracer);
    const consumerParent = worker.contextManager.fromMetadata(ROOT_CONTEXT, metadata);
    const process = worker.tracer.startSpan('process intents', { kind: SpanKind.CONSUMER }, consumerParent);
    process.end();
    const [addSpan, processSpan] = exporter.getFinishedSpans();
    expect(addSpan!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(processSpan!.parentSpanContext?.spanId).toBe(addSpan!.spanContext().spanId);
    expect(processSpan!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('outside a kept trace nothing is recorded or propagated, and no context is entered', async () => {
    const { exporter, tracing } = tracingWith('1');
    const worker = createQueueTelemetry(tracing.tracer);
    // Nothing to propagate outside a trace. (The API's adds outside a kept request trace: see jobAddTracer below.)
    expect(worker.contextManager.getMetadata(ROOT_CONTEXT)).toBeUndefined();
    // A caller that did not sample: followed, nothing recorded.
    expect(worker.contextManager.getMetadata(sampledParent(TraceFlags.NONE))).toBeUndefined();
    expect(worker.tracer.startSpan('add', { kind: SpanKind.PRODUCER }, sampledParent(TraceFlags.NONE)).setSpanOnContext(ROOT_CONTEXT)).toBe(ROOT_CONTEXT);

    // A job without trace context and BullMQ's own bookkeeping start no trace in the worker.
    for (const kind of [SpanKind.CONSUMER, SpanKind.INTERNAL]) worker.tracer.startSpan('process intents', { kind }, undefined).end();
    // `with` in the context already active runs the function as is.
    let ran = false;
    expect(worker.contextManager.with(context.active(), () => (ran = true))).toBe(true);
    expect(ran).toBe(true);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('where adds may start traces (the worker), a new producer trace is kept at the sampling ratio', async () => {
    const kept = tracingWith('1');
    const worker = createQueueTelemetry(kept.tracing.tracer);
    const add = worker.tracer.startSpan('add webhooks.deliver', { kind: SpanKind.PRODUCER }, ROOT_CONTEXT);
    expect(worker.contextManager.getMetadata(add.setSpanOnContext(ROOT_CONTEXT))).toContain('traceparent');
    add.end();
    expect(kept.exporter.getFinishedSpans().map((s) => s.name)).toEqual(['add webhooks.deliver']);
    await kept.tracing.shutdown();

    const none = tracingWith('0');
    const unsampled = createQueueTelemetry(none.tracing.tracer).tracer.startSpan('add webhooks.deliver', { kind: SpanKind.PRODUCER }, ROOT_CONTEXT);
    expect(unsampled.setSpanOnContext(ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    unsampled.end();
    expect(none.exporter.getFinishedSpans()).toEqual([]);
  });

  it('an add under a context handed over explicitly (no context manager): a producer span child of it, its context in the job; none outside a kept trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_TRACES_SAMPLER_ARG: '0' }, exporter, asyncContext: false })!;
    onTestFinished(() => tracing.shutdown());
    expect(jobAddTracer(undefined, 'intents')).toBeUndefined();
    expect(jobAddTracer(sampledParent(TraceFlags.NONE), 'intents')).toBeUndefined();
    const traceAdd = jobAddTracer(sampledParent(TraceFlags.SAMPLED), 'intents')!;
    const job = await traceAdd('branch.create', async (telemetry) => {
      // No context manager: nothing is active while the add runs; the context came as an argument.
      expect(trace.getSpan(context.active())).toBeUndefined();
      return { id: 'job-1', telemetry };
    });
    const [add] = exporter.getFinishedSpans();
    expect(add!.name).toBe('add intents.branch.create');
    expect(add!.kind).toBe(SpanKind.PRODUCER);
    expect(add!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(add!.attributes['bullmq.job.id']).toBe('job-1');
    expect(JSON.parse(job.telemetry!.metadata)).toEqual({ traceparent: `00-0af7651916cd43dd8448eb211c80319c-${add!.spanContext().spanId}-01` });
    await tracing.shutdown();
    expect(jobAddTracer(sampledParent(TraceFlags.SAMPLED), 'intents')).toBeUndefined();
  });
});
