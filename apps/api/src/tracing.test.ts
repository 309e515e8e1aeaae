import { intentJobId } from '@neonops/intents';
import { startTracing, type TracingOptions } from '@neonops/observability';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp } from '../test/helper.js';

type Exporter = NonNullable<TracingOptions['exporter']>;
type Finished = Parameters<Exporter['export']>[0][number];

/** Tracing as the API process starts it (no async context manager), spans kept in memory; new traces never kept, a sampled caller always followed. */
function apiTracing(): Finished[] {
  const spans: Finished[] = [];
  const exporter: Exporter = {
    export: (batch, done) => {
      spans.push(...batch);
      done({ code: 0 });
    },
    shutdown: async () => undefined,
  };
  const tracing = startTracing({ serviceName: 'neonops-api-test', env: { OTEL_TRACES_SAMPLER_ARG: '0' }, exporter, asyncContext: false })!;
  onTestFinished(() => tracing.shutdown());
  return spans;
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const traceparent = (flags: '00' | '01') => `00-${TRACE_ID}-b7ad6b7169203331-${flags}`;

describe('tracing in the API process (no async context manager)', () => {
  it('a kept request hands its span to the job it adds: the add span is its child and the job carries the add span’s context', async () => {
    const spans = apiTracing();
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: { 'idempotency-key': 'traced-1', traceparent: traceparent('01') } });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();

    const server = spans.find((s) => s.name === 'POST /v1/intents');
    const add = spans.find((s) => s.name === 'add intents.branch.create');
    expect(server?.spanContext().traceId).toBe(TRACE_ID);
    expect(add?.spanContext().traceId).toBe(TRACE_ID);
    expect(add?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(add?.attributes).toMatchObject({ 'bullmq.queue.name': 'intents', 'bullmq.queue.operation': 'add', 'bullmq.job.name': 'branch.create', 'bullmq.job.id': intentJobId(id) });

    // The worker's `process` span continues from what the job carries: the add span.
    const job = await t.queue.getJob(intentJobId(id));
    const metadata = JSON.parse(job!.opts.telemetry!.metadata!) as Record<string, string>;
    expect(metadata.traceparent).toBe(`00-${TRACE_ID}-${add!.spanContext().spanId}-01`);
  });

  it('a request whose trace is not kept: no span, and its job carries no trace context', async () => {
    const spans = apiTracing();
    const t = await buildTestApp();
    const unsampled = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: { traceparent: traceparent('00') } });
    const untraced = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() });
    for (const res of [unsampled, untraced]) {
      expect(res.statusCode).toBe(202);
      const job = await t.queue.getJob(intentJobId(res.json<{ id: string }>().id));
      expect(job?.opts.telemetry).toBeUndefined();
    }
    expect(spans).toEqual([]);
  });
});
