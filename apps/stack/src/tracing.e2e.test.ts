import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing } from '@neonops/observability';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadStackConfig } from './config.js';
import { startStack } from './stack.js';

// Registered before the API and the worker exist, as the process entries do; spans are kept in
// memory, every trace kept (the default keeps one in ten).
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ serviceName: 'neonops-test', env: { OTEL_TRACES_SAMPLER_ARG: '1' }, exporter })!;
afterAll(() => tracing.shutdown());

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('tracing (OpenTelemetry, in-memory exporter)', () => {
  it('follows one intent in one trace: the POST, the job through the queue, each Neon call with its request id; its webhook delivery is a span', async () => {
    const redis = useTestRedis('trace');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '10', SIM_RUNNING_MS: '20', REDIS_URL: redis.url });
    const stack = await startStack(config, { env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml' } });
    onTestFinished(() => stack.close());
    exporter.reset();

    // A receiver for the intent's completion webhook: its delivery is a span too.
    let received = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const headers = { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json', 'idempotency-key': 'trace-1' };
    const subscribed = await fetch(`${stack.apiUrl}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: headers.authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?token=receiver-secret`, events: ['intent.*'] }),
    });
    expect(subscribed.status).toBe(201);
    const accepted = await fetch(`${stack.apiUrl}/v1/intents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'branch.create', params: { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] } }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await waitUntil(async () => {
      const view = (await (await fetch(`${stack.apiUrl}/v1/intents/${id}`, { headers })).json()) as { status: string };
      return view.status === 'succeeded' || (view.status === 'failed' && Promise.reject(new Error(`intent ${id} failed`)));
    });

    // The POST's server span, with its route template.
    const post = await waitUntil(() =>
      exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/v1/intents' && s.attributes['http.request.method'] === 'POST'),
    );
    const traceId = post.spanContext().traceId;
    const inTrace = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

    // The job's span in the worker continues the request's trace (the context travelled in the job's options).
    const processed = await waitUntil(() => inTrace().find((s) => s.kind === SpanKind.CONSUMER && s.name === 'process intents' && s.attributes['neonops.intent_id'] === id), {
      what: () => `the job's process span in trace ${traceId} (spans: ${inTrace().map((s) => s.name).join(', ')})`,
    });
    expect(processed.attributes['neonops.kind']).toBe('branch.create');
    const added = inTrace().find((s) => s.kind === SpanKind.PRODUCER && s.name.startsWith('add intents'));
    expect(added, 'the Queue.add span').toBeDefined();
    // The chain: request → … → add → process (the job span's parent is the add span).
    expect(parentOf(processed)).toBe(added!.spanContext().spanId);
    const ancestors = new Set<string>();
    for (let s: ReadableSpan | undefined = added; s; s = inTrace().find((p) => p.spanContext().spanId === parentOf(s!))) ancestors.add(s.spanContext().spanId);
    expect(ancestors.has(post.spanContext().spanId)).toBe(true);

    // The engine waits on Neon's operations by delaying the job: each run of it is a `process` span of the same trace.
    const runs = new Set(inTrace().filter((s) => s.name === 'process intents').map((s) => s.spanContext().spanId));
    // Each Neon call of the job is a child of one of the job's runs, with Neon's request id and the intent.
    const neonCalls = inTrace().filter((s) => s.name.startsWith('neon '));
    const createBranch = neonCalls.find((s) => s.name === 'neon POST /projects/{project_id}/branches');
    expect(createBranch, `a branch creation span among ${neonCalls.map((s) => s.name).join(', ')}`).toBeDefined();
    for (const call of neonCalls.filter((s) => s.attributes['neonops.intent_id'] === id)) {
      expect(call.kind).toBe(SpanKind.CLIENT);
      expect(runs.has(parentOf(call)!)).toBe(true);
      expect(call.attributes['neon.request_id']).toEqual(expect.any(String));
      expect(call.attributes['http.response.status_code']).toBeLessThan(400);
      expect(call.attributes['neon.x_request_id']).toContain(id);
    }
    expect(createBranch!.attributes['neonops.intent_id']).toBe(id);

    // The completion webhook's delivery attempt: a client span with the delivery, the intent and the receiver's status.
    const delivery = await waitUntil(() =>
      exporter.getFinishedSpans().find((s) => s.name === 'webhook delivery' && s.attributes['neonops.intent_id'] === id),
    );
    expect(received).toBeGreaterThan(0);
    expect(delivery.kind).toBe(SpanKind.CLIENT);
    expect(delivery.attributes['http.response.status_code']).toBe(204);
    expect(delivery.attributes['neonops.event_type']).toBe('intent.succeeded');
    expect(delivery.attributes['neonops.delivery_id']).toEqual(expect.any(String));

    // No secret travels in an attribute: the bearer token, the connection URIs, the receiver's URL.
    const text = JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes));
    expect(text).not.toContain(stack.demoToken);
    expect(text).not.toContain('postgresql://');
    expect(text).not.toContain('receiver-secret');
  });
});
