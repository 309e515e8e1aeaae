/** Turns a non-2xx Neon response into the matching error class. */
import {
  NeonApiError,
  NeonAuthError,
  NeonConflictError,
  NeonLockedError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonUnprocessableError,
  type RequestErrorContext,
} from '../errors.js';

/** Neon's error body `{ code, message, request_id }`, read defensively. */
export interface NeonErrorBody {
  code: string;
  message: string | undefined;
  requestId: string | undefined;
}

export function readErrorBody(parsed: unknown): NeonErrorBody {
  if (typeof parsed !== 'object' || parsed === null) return { code: '', message: undefined, requestId: undefined };
  const record = parsed as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return { code: str(record.code) ?? '', message: str(record.message), requestId: str(record.request_id) };
}

/**
 * Builds the error for `status`. `outcomeUnknown` is set for a mutation that got
 * a 5xx other than 502/503/504: Neon (or Cloudflare, 524) may have applied it.
 */
export function errorFromResponse(init: {
  status: number;
  statusText: string;
  parsedBody: unknown;
  context: RequestErrorContext;
  mutation: boolean;
  retryAfterMs: number | undefined;
  scrub: (text: string) => string;
}): NeonApiError {
  const body = readErrorBody(init.parsedBody);
  const { status } = init;
  const neonMessage = init.scrub(body.message ?? (init.statusText || 'no error message'));
  const outcomeUnknown = init.mutation && status >= 500 && status !== 502 && status !== 503 && status !== 504;
  const args = {
    ...init.context,
    status,
    neonCode: init.scrub(body.code),
    neonMessage,
    outcomeUnknown,
    ...(body.requestId === undefined ? {} : { requestId: init.scrub(body.requestId) }),
  };
  if (status === 401 || status === 403) return new NeonAuthError(args);
  if (status === 404) return new NeonNotFoundError(args);
  if (status === 409) return new NeonConflictError(args);
  if (status === 422) return new NeonUnprocessableError(args);
  if (status === 423) return new NeonLockedError(args);
  if (status === 429) return new NeonRateLimitError({ ...args, ...(init.retryAfterMs === undefined ? {} : { retryAfterMs: init.retryAfterMs }) });
  if (status >= 500) return new NeonServerError(args);
  return new NeonApiError(args);
}
