import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntil } from '@neonops/testing';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runInIntentContext } from './intent-context.js';
import { observeNeonCalls } from './neon-calls.js';
import { samplingRatio } from './sampling.js';
import { bullmqTelemetry, currentTracing, otlpEndpoint, startTracing } from './tracing.js';

const quiet = { info: () => undefined, warn: () => undefined };

/** A loopback OTLP/HTTP receiver: records what each POST carried. */
async function otlpReceiver(): Promise<{ url: string; requests: { path: string; contentType: string; body: string }[] }> {
  const requests: { path: string; contentType: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe('tracing', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT (unset or empty): nothing registered, no BullMQ telemetry, Neon calls make no span', () => {
    expect(otlpEndpoint({})).toBeUndefined();
    expect(otlpEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
    expect(startTracing({ serviceName: 'neonops-test', env: {} })).toBeUndefined();
    expect(startTracing({ serviceName: 'neonops-test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: '' } })).toBeUndefined();
    expect(currentTracing()).toBeUndefined();
    expect(bullmqTelemetry()).toEqual({});
    // The global API stays the no-op one: a span started anywhere records nothing.
    expect(trace.getTracer('x').startSpan('probe').isRecording()).toBe(false);
    // The Neon hook still logs (and counts) but starts no span.
    const hooks = observeNeonCalls({ logger: quiet });
    runInIntentContext({ intentId: 'int_off', teamId: 'team-a', kind: 'branch.create' }, () =>
      hooks.onResponse?.({ method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'r', status: 200, durationMs: 3 }),
    );
    expect(currentTracing()).toBeUndefined();
  });

  it('exports spans over OTLP/HTTP to <endpoint>/v1/traces when the endpoint is set: a Neon call with its request ids and the intent', async () => {
    const receiver = await otlpReceiver();
    const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, OTEL_TRACES_SAMPLER: 'always_on' } });
    expect(tracing).toBeDefined();
    onTestFinished(() => tracing!.shutdown());
    // Once per process: a second start (the stack starts the API and a worker) is the first.
    expect(startTracing({ serviceName: 'other', env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } })).toBe(tracing);
    expect(bullmqTelemetry().telemetry).toBe(tracing!.telemetry);

    const hooks = observeNeonCalls({ logger: quiet });
    await tracing!.tracer.startActiveSpan('process intents', async (job) => {
      runInIntentContext({ intentId: 'int_traced', teamId: 'team-a', kind: 'branch.create' }, () => {
        hooks.onResponse?.({
          method: 'POST',
          route: '/projects/{project_id}/branches',
          attempt: 1,
          requestId: 'int_traced:create_branch:a1:1',
          status: 201,
          durationMs: 12,
          neonRequestId: 'neon-req-42',
        });
        hooks.onResponse?.({ method: 'GET', route: '/projects/{project_id}/operations', attempt: 2, requestId: 'int_traced:poll:a1:2', durationMs: 5000, errorCode: 'NEON_TIMEOUT' });
      });
      job.end();
    });
    await tracing!.flush();

    const sent = await waitUntil(() => receiver.requests.find((r) => r.body.includes('neon-req-42')));
    expect(sent.path).toBe('/v1/traces');
    expect(sent.contentType).toContain('application/json');
    const body = JSON.parse(sent.body) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { name: string; traceId: string; spanId: string; parentSpanId?: string; status?: { code?: number }; attributes: { key: string; value: Record<string, unknown> }[] }[] }[];
      }[];
    };
    const resource = body.resourceSpans[0]!.resource.attributes;
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('neonops-test');
    const spans = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const attr = (span: (typeof spans)[number], key: string) => span.attributes.find((a) => a.key === key)?.value;
    const job = spans.find((s) => s.name === 'process intents')!;
    const create = spans.find((s) => s.name === 'neon POST /projects/{project_id}/branches')!;
    const poll = spans.find((s) => s.name === 'neon GET /projects/{project_id}/operations')!;
    expect(create.traceId).toBe(job.traceId);
    expect(create.parentSpanId).toBe(job.spanId);
    expect(attr(create, 'neon.request_id')).toEqual({ stringValue: 'neon-req-42' });
    expect(attr(create, 'neon.x_request_id')).toEqual({ stringValue: 'int_traced:create_branch:a1:1' });
    expect(attr(create, 'neonops.intent_id')).toEqual({ stringValue: 'int_traced' });
    expect(attr(create, 'neonops.team_id')).toEqual({ stringValue: 'team-a' });
    expect(attr(create, 'http.response.status_code')).toEqual({ intValue: 201 });
    // No answer: an error span with the client's error code.
    expect(attr(poll, 'error.type')).toEqual({ stringValue: 'NEON_TIMEOUT' });
    expect(poll.status?.code).toBe(2);

    await tracing!.shutdown();
    expect(currentTracing()).toBeUndefined();
    expect(bullmqTelemetry()).toEqual({});
  });

  it('samples new traces at OTEL_TRACES_SAMPLER_ARG (default one in ten) and follows the caller decision; a bad ratio or sampler is refused', async () => {
    expect(samplingRatio({})).toBe(0.1);
    expect(() => startTracing({ serviceName: 't', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_TRACES_SAMPLER: 'sometimes' } })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    expect(currentTracing()).toBeUndefined();
    expect(samplingRatio({ OTEL_TRACES_SAMPLER_ARG: '0.25' })).toBe(0.25);
    for (const bad of ['abc', '2', '-0.1']) {
      expect(() => samplingRatio({ OTEL_TRACES_SAMPLER_ARG: bad })).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
      expect(() => startTracing({ serviceName: 't', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_TRACES_SAMPLER_ARG: bad } })).toThrow();
      expect(currentTracing()).toBeUndefined();
    }

    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_TRACES_SAMPLER_ARG: '0' }, exporter })!;
    onTestFinished(() => tracing.shutdown());
    // Ratio 0: a new trace is not recorded…
    tracing.tracer.startSpan('root').end();
    // …but a request whose caller sampled its trace is (parent-based).
    const parent = trace.setSpanContext(context.active(), { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true });
    tracing.tracer.startSpan('child of a sampled caller', {}, parent).end();
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['child of a sampled caller']);
  });

  it('a Neon call outside a kept trace starts no trace of its own', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_TRACES_SAMPLER_ARG: '1' }, exporter })!;
    onTestFinished(() => tracing.shutdown());
    const hooks = observeNeonCalls({ logger: quiet });
    const call = { method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'r', status: 200, durationMs: 3 };
    hooks.onResponse?.(call);
    await tracing.flush();
    expect(exporter.getFinishedSpans()).toEqual([]);
    tracing.tracer.startActiveSpan('process intents', (job) => {
      hooks.onResponse?.(call);
      job.end();
    });
    await tracing.flush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['neon GET /projects/{project_id}', 'process intents']);
  });
});
