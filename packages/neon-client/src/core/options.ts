/** Options of the client and of single calls, with their defaults. */

/** Shared rate budget (e.g. a Redis token bucket shared by all workers). */
export interface RateBudget {
  /** Resolves when one request on `route` (e.g. 'POST /projects/{project_id}/branches') may be sent. Awaited before every attempt. */
  acquire(request: { method: string; route: string; signal?: AbortSignal }): Promise<void>;
  /** Neon answered 429; `retryAfterMs` when it said so. Lets a shared budget shrink. */
  onRateLimited?(request: { method: string; route: string; retryAfterMs?: number }): void | Promise<void>;
}

/** What the hooks see. Never headers, bodies or the key. */
export interface RequestInfo {
  /** HTTP method, upper case. */
  method: string;
  /** Route template, e.g. `/projects/{project_id}/branches`. */
  route: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Our `X-Request-ID` (the same for every attempt of one call). */
  requestId: string;
}

export interface ResponseInfo extends RequestInfo {
  /** HTTP status; absent when the attempt failed without an answer. */
  status?: number;
  /** Time from sending to the answer (or failure), in ms. */
  durationMs: number;
  /**
   * Neon's request id: `request_id` of an error body, else the response's
   * `X-Neon-Ret-Request-Id` or `X-Request-Id` header, when present.
   */
  neonRequestId?: string;
  /** Stable error code when the attempt failed (e.g. `NEON_LOCKED`). */
  errorCode?: string;
}

export interface RetryInfo extends RequestInfo {
  /** Delay before the next attempt, in ms. */
  delayMs: number;
  /** Status that caused the retry; absent for network failures. */
  status?: number;
  /** Stable error code of the failed attempt. */
  errorCode: string;
  /** Whether the delay came from Neon's `Retry-After`. */
  fromRetryAfter: boolean;
}

export interface NeonClientHooks {
  /** Before each attempt is sent (after the rate budget admitted it). */
  onRequest?(info: RequestInfo): void;
  /** After each attempt, successful or not. */
  onResponse?(info: ResponseInfo): void;
  /** When a failed attempt will be retried. */
  onRetry?(info: RetryInfo): void;
}

export interface RetryOptions {
  /** Attempts per call, including the first. Default 5. */
  maxAttempts?: number;
  /** First backoff ceiling; the n-th retry waits up to `baseDelayMs * 2^(n-1)`. Default 500. */
  baseDelayMs?: number;
  /** Largest backoff ceiling (does not cap `Retry-After`). Default 20_000. */
  maxDelayMs?: number;
  /** No retry is started when it would end after this much time since the call began. Default 120_000. */
  maxElapsedMs?: number;
}

export interface NeonClientOptions {
  /** Neon API key. Required; never appears in errors, hooks or logs. */
  apiKey: string;
  /** Default `'https://console.neon.tech/api/v2'` (simulator: `'http://127.0.0.1:PORT/api/v2'`). */
  baseUrl?: string;
  /** Fetch implementation. Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Per-attempt timeout in ms. Default 30_000. */
  timeoutMs?: number;
  /** Retry policy; see {@link RetryOptions} for the defaults. */
  retry?: RetryOptions;
  /** Awaited before every attempt. Default: none (no client-side limit). */
  rateBudget?: RateBudget;
  /** Request/response/retry hooks for logs and metrics. Default: none. */
  hooks?: NeonClientHooks;
  /** `User-Agent` header. Default `'@neonops/neon-client'`. */
  userAgent?: string;
  /** Sleep used for backoff and polling. Default a timer that rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Clock for elapsed-time budgets (retries, waitForOperations), in ms. Default `Date.now`. */
  now?: () => number;
  /** Request id generator for `X-Request-ID`. Default `crypto.randomUUID`. */
  generateRequestId?: () => string;
}

/** Optional last argument of every method. */
export interface CallOptions {
  /** Aborts the call, including backoff waits; throws NeonAbortedError. */
  signal?: AbortSignal;
  /** Per-attempt timeout for this call. Default: the client's `timeoutMs`. */
  timeoutMs?: number;
  /** `X-Request-ID` for this call. Default: a new UUID. */
  requestId?: string;
  /**
   * Allows a POST/PATCH/DELETE to be repeated after its response was lost
   * (network error, timeout, 524). Default false: such a call throws with
   * `outcomeUnknown: true` so the caller can reconcile first.
   */
  safeToRepeat?: boolean;
}

export const DEFAULTS = {
  baseUrl: 'https://console.neon.tech/api/v2',
  timeoutMs: 30_000,
  userAgent: '@neonops/neon-client',
  retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxElapsedMs: 120_000 },
} as const;

/** A sleep that resolves after `ms`, or rejects with the signal's reason when it aborts. */
export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
