import { setTimeout as delay } from 'node:timers/promises';
import type { z } from 'zod';
import { isRetryable, NeonopsApiError, NeonopsConnectionError, NeonopsProtocolError } from './errors.js';
import { problemSchema } from './schemas.js';

export interface RequestCoreOptions {
  /** Base URL of the API, e.g. `https://neonops.example.com` (a path prefix is kept). */
  baseUrl: string;
  /** The team's bearer token. Sent in `Authorization` only; never part of an error or a log line. */
  token: string;
  /** The `fetch` to use. Default: the global one (Node ≥ 20). */
  fetch?: typeof fetch;
  /** Attempts of a safe request (a GET, or a POST with an idempotency key) before giving up. Default 5. */
  maxAttempts?: number;
  /** Backoff before the second attempt, in ms; doubled each time, ±20 % jitter. Default 500. */
  baseDelayMs?: number;
  /** Longest backoff, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Longest `Retry-After` honoured, in ms (longer ones are cut to this). Default 60 000. */
  maxRetryAfterMs?: number;
  /** Time for one attempt (headers and body), in ms; long-polls pass their own. Default 30 000. */
  timeoutMs?: number;
  /** Waits between attempts (tests pass a fast one). Default: a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** `User-Agent` header. Default `neonops-cli`. */
  userAgent?: string;
  /** Told before each retry, e.g. to print a note on stderr. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  method: string;
  path: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: Error;
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  /** A JSON body. */
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * Whether sending the request again cannot do harm, so failures that may be transient
   * (network, 408/429/5xx, an idempotent POST still in flight) are retried. Default: true
   * for GET, false otherwise.
   */
  safe?: boolean;
  /** This attempt's timeout, in ms (for a stream: until the headers arrive). */
  timeoutMs?: number;
  accept?: string;
  signal?: AbortSignal;
}

/**
 * The one place that knows URLs, authentication, timeouts, retries and error mapping;
 * endpoint methods (`api.ts`) stay thin. A safe request is retried with exponential
 * backoff, honouring `Retry-After` first; an unsafe one is sent exactly once.
 */
export class RequestCore {
  private readonly base: string;
  private readonly fetch: typeof fetch;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: RequestCoreOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : {}));
  }

  /** Sends a request and parses its JSON answer with `schema`. */
  async json<S extends z.ZodType>(method: string, path: string, schema: S, options: RequestOptions = {}): Promise<z.infer<S>> {
    return this.withRetries(method, path, options, async (signal) => {
      const res = await this.send(method, path, options, signal);
      let body: unknown;
      try {
        body = await res.json();
      } catch (error) {
        if (signal.aborted) throw this.connectionError(method, path, error, signal);
        throw new NeonopsProtocolError(method, path, `status ${res.status}, body is not JSON`);
      }
      const parsed = schema.safeParse(body);
      if (!parsed.success) throw new NeonopsProtocolError(method, path, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
      return parsed.data as z.infer<S>;
    });
  }

  /**
   * Opens a streaming answer (Server-Sent Events): the timeout covers the wait for the
   * headers only; the body is the caller's to read and to cancel (through `signal`).
   */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    return this.withRetries(method, path, options, (signal) => this.send(method, path, options, signal), { bodyOutlivesTimeout: true });
  }

  private async withRetries<T>(
    method: string,
    path: string,
    options: RequestOptions,
    attempt: (signal: AbortSignal) => Promise<T>,
    { bodyOutlivesTimeout = false } = {},
  ): Promise<T> {
    const safe = options.safe ?? method === 'GET';
    for (let n = 1; ; n++) {
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error('timed out')), options.timeoutMs ?? this.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
      try {
        const result = await attempt(signal);
        return result;
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const wrapped = error instanceof Error ? error : new Error(String(error));
        if (!safe || n >= this.maxAttempts || !isRetryable(wrapped)) throw wrapped;
        const delayMs = this.backoff(n, wrapped);
        this.options.onRetry?.({ method, path, attempt: n, delayMs, error: wrapped });
        await this.sleep(delayMs, options.signal);
      } finally {
        // A stream's body is read after this returns: only the wait for its headers is timed.
        clearTimeout(timer);
        if (!bodyOutlivesTimeout) timeout.abort(new Error('request finished'));
      }
    }
  }

  private backoff(attempt: number, error: Error): number {
    if (error instanceof NeonopsApiError && error.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, this.maxRetryAfterMs);
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  }

  private async send(method: string, path: string, options: RequestOptions, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: options.accept ?? 'application/json',
      'user-agent': this.options.userAgent ?? 'neonops-cli',
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetch(this.url(path, options.query), {
        method,
        headers,
        signal,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      throw this.connectionError(method, path, error, signal);
    }
    if (!res.ok) throw await this.apiError(method, path, res);
    return res;
  }

  url(path: string, query?: Record<string, string | number | undefined>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  private connectionError(method: string, path: string, error: unknown, signal: AbortSignal): NeonopsConnectionError {
    if (signal.aborted) return new NeonopsConnectionError(method, path, 'no answer in time', { cause: error });
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string' ? cause.code : undefined;
    const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
    return new NeonopsConnectionError(method, path, reason, { cause: error });
  }

  private async apiError(method: string, path: string, res: Response): Promise<NeonopsApiError> {
    const text = await res.text().catch(() => '');
    let problem: z.infer<typeof problemSchema> = {};
    try {
      const parsed = problemSchema.safeParse(JSON.parse(text));
      if (parsed.success) problem = parsed.data;
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
    return new NeonopsApiError(
      method,
      path,
      res.status,
      problem.code ?? `http_${res.status}`,
      problem.detail ?? problem.title ?? res.statusText,
      problem.requestId,
      parseRetryAfter(res.headers.get('retry-after')),
    );
  }
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
