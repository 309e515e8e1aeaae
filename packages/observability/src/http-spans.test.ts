import { channel } from 'node:diagnostics_channel';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it, onTestFinished } from 'vitest';
import { requestTraceContext } from './http-spans.js';
import { startTracing } from './tracing.js';

type Hook = (...args: unknown[]) => void;

/** What Fastify hands the hooks, and an app that records them (Fastify publishes itself on this channel when created). */
function fakeApp() {
  const hooks: Record<string, Hook> = {};
  const app = { addHook: (name: string, hook: Hook) => (hooks[name] = hook), decorateRequest: () => undefined };
  channel('fastify.initialization').publish({ fastify: app });
  /** Runs one request through onRequest → onResponse; returns whether a span was active in the handler. */
  const request = (method: string, url: string, route: string | undefined, headers: Record<string, string> = {}, statusCode = 202) => {
    const req = { method, url, headers, routeOptions: { url: route } };
    let activeInHandler: boolean | undefined;
    let handedOn: unknown;
    hooks.onRequest!(req, {}, () => {
      const active = trace.getSpan(context.active());
      activeInHandler = active !== undefined;
      // What the handler hands on explicitly (`requestTraceContext`) holds the same span.
      const explicit = requestTraceContext(req);
      handedOn = explicit && trace.getSpan(explicit);
      expect(handedOn).toBe(active);
    });
    hooks.onResponse!(req, { statusCode }, () => undefined);
    return activeInHandler;
  };
  return { hooks, request };
}

function tracingWith(env: Record<string, string>) {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing({ serviceName: 'neonops-test', env, exporter })!;
  onTestFinished(() => tracing.shutdown());
  return exporter;
}

describe('request spans', () => {
  it('a kept request: one server span with method, route, path (never the query) and status, active in the handler', () => {
    const exporter = tracingWith({ OTEL_TRACES_SAMPLER_ARG: '1' });
    const { request } = fakeApp();
    expect(request('POST', '/v1/intents?token=s3cret', '/v1/intents')).toBe(true);
    expect(request('GET', '/metrics', '/metrics')).toBe(false);
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(span!.name).toBe('POST /v1/intents');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.attributes).toEqual({ 'http.request.method': 'POST', 'http.route': '/v1/intents', 'url.path': '/v1/intents', 'http.response.status_code': 202 });
  });

  it('a request whose trace is not kept: no span and no context entered; a sampled caller is followed', () => {
    const exporter = tracingWith({ OTEL_TRACES_SAMPLER_ARG: '0' });
    const { request } = fakeApp();
    expect(request('POST', '/v1/intents', '/v1/intents')).toBe(false);
    expect(exporter.getFinishedSpans()).toEqual([]);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(request('POST', '/v1/intents', '/v1/intents', { traceparent }, 500)).toBe(true);
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span!.status.code).toBe(2);
  });
});
