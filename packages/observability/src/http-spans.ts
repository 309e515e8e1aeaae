import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';

/** What the hooks read of a Fastify request (kept structural: this package does not depend on Fastify). */
interface HookRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  routeOptions: { url?: string | undefined };
}
interface HookReply {
  statusCode: number;
}
type Done = (error?: Error | null) => void;
interface HookApp {
  addHook(name: string, hook: (...args: never[]) => void): unknown;
  decorateRequest(name: symbol, value: null): unknown;
}

/** The request span's context (the caller's, with the span set), on requests whose trace is kept (null on every other). */
const kContext = Symbol('neonops.requestContext');
type TracedRequest = HookRequest & { [kContext]: Context | null };

/** The request's span, on requests whose trace is kept. */
const spanOf = (request: TracedRequest): Span | undefined => {
  const traced = request[kContext];
  return traced ? trace.getSpan(traced) : undefined;
};

/**
 * The trace context of a request whose trace is kept (its server span, under the caller's
 * context), else undefined: what the request hands on explicitly to what it starts (the job it
 * adds, see `jobAddTracer`), so a process needs no async context manager for its traces to
 * continue in the worker. Undefined too when tracing is off or the request is not traced.
 */
export function requestTraceContext(request: object): Context | undefined {
  return (request as Partial<TracedRequest>)[kContext] ?? undefined;
}

/**
 * One server span per HTTP request, on every Fastify instance created while it is on (the
 * `fastify.initialization` diagnostics channel, as `@fastify/otel`'s `registerOnInitialization`):
 * `<METHOD> <route template>`, with `http.request.method`, `http.route`, `url.path` (never the
 * query, which may hold a token) and `http.response.status_code`; the caller's `traceparent`
 * is honoured. Returns what turns it off again.
 *
 * Cheap when a trace is not kept, which at the default sampling is nine requests in ten: the
 * sampler decides first and nothing else happens — no attributes, no context entered (so the
 * `AsyncLocalStorage` context manager is not run for the request), no hook work after. A kept
 * request keeps its span's context on the request ({@link requestTraceContext}): the handler
 * hands it to the job it adds (`jobAddTracer`), which is how the job joins the trace — with no
 * async context manager in the process (the API starts tracing with `asyncContext: false`).
 * One `onRequest` and one `onResponse` hook, not a span per
 * hook and handler (`@fastify/otel`'s default, which was most of tracing's cost on the POST path).
 */
export function instrumentFastify(tracer: Tracer, untracedPaths: ReadonlySet<string>): () => void {
  const onRequest = (request: TracedRequest, _reply: HookReply, done: Done): void => {
    const route = request.routeOptions.url;
    if (route !== undefined && untracedPaths.has(route)) return done();
    const parent = request.headers.traceparent === undefined ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(route === undefined ? request.method : `${request.method} ${route}`, { kind: SpanKind.SERVER }, parent);
    if (!span.isRecording()) return done();
    const query = request.url.indexOf('?');
    span.setAttributes({
      'http.request.method': request.method,
      'url.path': query < 0 ? request.url : request.url.slice(0, query),
      ...(route === undefined ? {} : { 'http.route': route }),
    });
    const traced = trace.setSpan(parent, span);
    request[kContext] = traced;
    // With a context manager (a process that also runs a worker) the rest of the request runs
    // in the span's context; without one (the API) this is a plain call, and what the request
    // starts gets the context explicitly (`requestTraceContext`).
    context.with(traced, done);
  };
  const end = (request: TracedRequest, statusCode: number, aborted = false): void => {
    const span = spanOf(request);
    if (!span) return;
    request[kContext] = null;
    span.setAttribute('http.response.status_code', statusCode);
    if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'aborted by the client' });
    else if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  const onInitialization = (message: unknown): void => {
    const app = (message as { fastify: HookApp }).fastify;
    app.decorateRequest(kContext, null);
    app.addHook('onRequest', onRequest);
    app.addHook('onError', (request: TracedRequest, _reply: HookReply, error: Error & { code?: unknown }, done: Done) => {
      // The error's class or code only: a message may quote input.
      spanOf(request)?.setAttribute('error.type', typeof error.code === 'string' ? error.code : error.name);
      done();
    });
    app.addHook('onResponse', (request: TracedRequest, reply: HookReply, done: Done) => {
      end(request, reply.statusCode);
      done();
    });
    app.addHook('onRequestAbort', (request: TracedRequest, done: Done) => {
      end(request, 499, true);
      done();
    });
  };
  subscribe('fastify.initialization', onInitialization);
  return () => unsubscribe('fastify.initialization', onInitialization);
}
