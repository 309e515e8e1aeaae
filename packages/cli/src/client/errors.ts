/**
 * Errors of the API client. None of them ever holds the token: messages name the method,
 * the path and what the API answered.
 */

/** The API answered with an error status (`application/problem+json` when it could). */
export class NeonopsApiError extends Error {
  override readonly name = 'NeonopsApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The problem's stable `code` (e.g. `intent_not_found`); `http_<status>` when the body had none. */
    readonly code: string,
    /** The problem's `detail` (or `title`). */
    readonly detail: string,
    /** The problem's `requestId`, for the API's logs. */
    readonly requestId?: string,
    /** What `Retry-After` asked for, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(`${method} ${path} answered ${status} ${code}${detail ? `: ${detail}` : ''}${requestId ? ` (request ${requestId})` : ''}`);
  }
}

/** The request did not get an answer: connection refused or reset, DNS, or the per-request timeout. */
export class NeonopsConnectionError extends Error {
  override readonly name = 'NeonopsConnectionError';
  constructor(
    readonly method: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path} failed: ${reason}`, options);
  }
}

/** The API answered 2xx with a body the CLI does not understand (another server, a proxy page). */
export class NeonopsProtocolError extends Error {
  override readonly name = 'NeonopsProtocolError';
  constructor(
    readonly method: string,
    readonly path: string,
    reason: string,
  ) {
    super(`${method} ${path}: unexpected answer (${reason})`);
  }
}

export type NeonopsClientError = NeonopsApiError | NeonopsConnectionError | NeonopsProtocolError;

export function isClientError(error: unknown): error is NeonopsClientError {
  return error instanceof NeonopsApiError || error instanceof NeonopsConnectionError || error instanceof NeonopsProtocolError;
}

/** Statuses worth another attempt of a safe request: timeouts, rate limits, overload and gateway errors. */
const RETRYABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504, 522, 524]);

/**
 * Whether a failed *safe* request (a GET, or a POST with an idempotency key) may be sent
 * again. `409 idempotency_request_in_flight` means the first attempt of the same POST is
 * still being handled: asking again later gets its answer.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof NeonopsConnectionError) return true;
  if (error instanceof NeonopsApiError) {
    return RETRYABLE_STATUSES.has(error.status) || (error.status === 409 && error.code === 'idempotency_request_in_flight');
  }
  return false;
}
