/**
 * The one request core: URL, auth, request ids, timeouts, rate budget,
 * retries and error mapping. Endpoint methods only describe the request.
 */
import { randomUUID } from 'node:crypto';
import { NeonAbortedError, NeonConnectionError, NeonServerError, NeonTimeoutError, RETRYABLE_STATUSES, type NeonError } from '../errors.js';
import { createScrubber, sanitizeError } from '../redact.js';
import { errorFromResponse } from './map-error.js';
import { DEFAULTS, defaultSleep, type CallOptions, type NeonClientHooks, type NeonClientOptions } from './options.js';
import { backoffDelay, isIdempotentMethod, isRetryableStatus, parseRetryAfter, provablyNotSent } from './retry.js';
import { buildUrl, fillPath, type QueryValue } from './url.js';

/** One HTTP call described by route template, parameters and body. */
export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template from the OpenAPI document, e.g. `/projects/{project_id}`. */
  route: string;
  pathParams?: Readonly<Record<string, string | number>>;
  query?: Readonly<Record<string, QueryValue>>;
  /** JSON body; omitted when undefined. */
  body?: unknown;
}

export interface RequestCore {
  /** Sends the request with the client's policy; resolves with the parsed JSON body (undefined when empty). */
  request(spec: RequestSpec, options?: CallOptions): Promise<unknown>;
  /** The client's sleep, shared with operation polling. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The client's clock. */
  readonly now: () => number;
}

type AttemptResult =
  | { ok: true; value: unknown }
  | { ok: false; error: NeonError; retryable: boolean; retryAfterMs?: number; status?: number };

/** Runs a hook without letting a faulty hook break the request. */
function safeHook<T>(fn: ((info: T) => void) | undefined, info: T): void {
  if (!fn) return;
  try {
    fn(info);
  } catch {
    // Hooks are for observation only.
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function createRequestCore(options: NeonClientOptions): RequestCore {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('createNeonClient: apiKey is required');
  const apiKey = options.apiKey;
  const baseUrl = options.baseUrl ?? DEFAULTS.baseUrl;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const clientTimeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const retry = { ...DEFAULTS.retry, ...options.retry };
  const hooks: NeonClientHooks = options.hooks ?? {};
  const userAgent = options.userAgent ?? DEFAULTS.userAgent;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const generateRequestId = options.generateRequestId ?? randomUUID;
  const rateBudget = options.rateBudget;
  const scrub = createScrubber(apiKey);

  async function request(spec: RequestSpec, call: CallOptions = {}): Promise<unknown> {
    const { method, route } = spec;
    const budgetRoute = `${method} ${route}`;
    const resolvedPath = fillPath(route, spec.pathParams);
    const url = buildUrl(baseUrl, resolvedPath, spec.query);
    const requestId = call.requestId ?? generateRequestId();
    const timeoutMs = call.timeoutMs ?? clientTimeoutMs;
    const mutation = !isIdempotentMethod(method);
    const signal = call.signal;
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${apiKey}`,
      Accept: 'application/json',
      'User-Agent': userAgent,
      // One id for every attempt of a call, so Neon's logs group the retries.
      'X-Request-ID': requestId,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const started = now();
    const aborted = (cause?: unknown, outcomeUnknown = false): NeonAbortedError =>
      new NeonAbortedError({ method, path: route, cause: cause === undefined ? undefined : sanitizeError(cause, scrub), outcomeUnknown });

    async function attemptOnce(attempt: number): Promise<AttemptResult> {
      const context = { method, path: route, resolvedPath, clientRequestId: requestId, attempts: attempt };
      const info = { method, route, attempt, requestId };
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      const attemptSignal = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
      safeHook(hooks.onRequest, info);
      const sentAt = now();
      let response: Response;
      let text: string;
      try {
        response = await fetchImpl(url, { method, headers, body, signal: attemptSignal });
        text = await response.text();
      } catch (thrown) {
        const durationMs = now() - sentAt;
        if (signal?.aborted) {
          const error = aborted(thrown, mutation);
          safeHook(hooks.onResponse, { ...info, durationMs, errorCode: error.errorCode });
          return { ok: false, error, retryable: false };
        }
        const timedOut = timeout.signal.aborted;
        // A mutation is "outcome unknown" unless the failure proves nothing was sent.
        const outcomeUnknown = mutation && (timedOut || !provablyNotSent(thrown));
        const cause = sanitizeError(thrown, scrub);
        const error = timedOut
          ? new NeonTimeoutError({ ...context, cause, outcomeUnknown, timeoutMs })
          : new NeonConnectionError({ ...context, cause, outcomeUnknown, detail: cause.message });
        safeHook(hooks.onResponse, { ...info, durationMs, errorCode: error.errorCode });
        return { ok: false, error, retryable: !outcomeUnknown || call.safeToRepeat === true };
      } finally {
        clearTimeout(timer);
      }
      const durationMs = now() - sentAt;
      const parsed = parseJson(text);
      if (response.ok) {
        if (parsed.ok) {
          const neonRequestId = response.headers.get('x-neon-ret-request-id') ?? response.headers.get('x-request-id') ?? undefined;
          safeHook(hooks.onResponse, { ...info, status: response.status, durationMs, ...(neonRequestId ? { neonRequestId } : {}) });
          return { ok: true, value: parsed.value };
        }
        const error = new NeonServerError({
          ...context,
          status: response.status,
          neonCode: '',
          neonMessage: 'response body is not valid JSON',
          outcomeUnknown: mutation,
        });
        safeHook(hooks.onResponse, { ...info, status: response.status, durationMs, errorCode: error.errorCode });
        return { ok: false, error, retryable: false };
      }
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      const error = errorFromResponse({
        status: response.status,
        statusText: response.statusText,
        parsedBody: parsed.ok ? parsed.value : undefined,
        context,
        mutation,
        retryAfterMs,
        scrub,
      });
      safeHook(hooks.onResponse, {
        ...info,
        status: response.status,
        durationMs,
        errorCode: error.errorCode,
        ...(error.requestId === undefined ? {} : { neonRequestId: error.requestId }),
      });
      if (response.status === 429 && rateBudget?.onRateLimited) {
        await rateBudget.onRateLimited({ method, route: budgetRoute, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
      }
      const repeatable = !mutation || call.safeToRepeat === true;
      const retryable = isRetryableStatus(response.status, RETRYABLE_STATUSES, repeatable) && (!error.outcomeUnknown || call.safeToRepeat === true);
      return { ok: false, error, retryable, status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }

    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw aborted(signal.reason);
      if (rateBudget) {
        try {
          await rateBudget.acquire({ method, route: budgetRoute, ...(signal ? { signal } : {}) });
        } catch (err) {
          if (signal?.aborted) throw aborted(signal.reason);
          throw err;
        }
      }
      if (signal?.aborted) throw aborted(signal.reason);
      const result = await attemptOnce(attempt);
      if (result.ok) return result.value;
      const { error } = result;
      if (!result.retryable || attempt >= retry.maxAttempts) throw error;
      // Retry-After first; otherwise exponential backoff with full jitter.
      const fromRetryAfter = result.retryAfterMs !== undefined;
      const delayMs = result.retryAfterMs ?? backoffDelay(attempt, retry, random);
      if (now() - started + delayMs > retry.maxElapsedMs) throw error;
      safeHook(hooks.onRetry, {
        method,
        route,
        attempt,
        requestId,
        delayMs,
        errorCode: error.errorCode,
        fromRetryAfter,
        ...(result.status === undefined ? {} : { status: result.status }),
      });
      try {
        await sleep(delayMs, signal);
      } catch (err) {
        if (signal?.aborted) throw aborted(signal.reason);
        throw err;
      }
    }
  }

  return { request, sleep, now };
}
