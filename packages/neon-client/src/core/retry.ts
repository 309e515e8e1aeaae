/** Backoff timing: Retry-After first, else exponential backoff with full jitter. */

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP date. Returns the
 * delay in ms (never negative), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date always has letters (day and month names, GMT); this keeps "-5" out.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Full jitter (AWS architecture blog): a uniform delay in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))). `retry` is 1 for the first retry.
 */
export function backoffDelay(retry: number, opts: { baseDelayMs: number; maxDelayMs: number }, random: () => number): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Methods whose repetition cannot apply a change twice. */
export function isIdempotentMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'PUT';
}

/**
 * Whether an answer with `status` may be repeated. 423, 429, 502, 503, 504 and 524
 * (`RETRYABLE_STATUSES`) always qualify; a mutation among them that Neon may have applied
 * (524) is held back by the caller's `outcomeUnknown` check. A 500 is retried only when the
 * call is idempotent (a GET, or a call marked `safeToRepeat`): Neon answers 500 for passing
 * internal errors as it does 503, but a mutation answered 500 may have been applied, so it
 * is never repeated blindly.
 */
export function isRetryableStatus(status: number, retryable: ReadonlySet<number>, idempotent: boolean): boolean {
  return retryable.has(status) || (status === 500 && idempotent);
}

/** Network error codes that prove the request never reached the server. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * Whether a fetch failure proves the request was never sent (so even a
 * mutation can be repeated). Looks at `code` on the error and its causes.
 */
export function provablyNotSent(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code: unknown = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}
