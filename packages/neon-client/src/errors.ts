/**
 * The error catalog. Callers decide by class (or by the stable `errorCode`),
 * never by message text. Messages never contain the API key: everything that
 * reaches a message or a `cause` has gone through the client's scrubber.
 */

/** Stable identifiers, one per error class. */
export const NeonErrorCodes = {
  api: 'NEON_API_ERROR',
  auth: 'NEON_AUTH',
  notFound: 'NEON_NOT_FOUND',
  conflict: 'NEON_CONFLICT',
  unprocessable: 'NEON_UNPROCESSABLE',
  locked: 'NEON_LOCKED',
  rateLimited: 'NEON_RATE_LIMITED',
  server: 'NEON_SERVER',
  connection: 'NEON_CONNECTION',
  timeout: 'NEON_TIMEOUT',
  aborted: 'NEON_ABORTED',
  operationFailed: 'NEON_OPERATION_FAILED',
  operationsTimeout: 'NEON_OPERATIONS_TIMEOUT',
} as const;
export type NeonErrorCode = (typeof NeonErrorCodes)[keyof typeof NeonErrorCodes];

/** Where a request error happened: method and route template (no ids, no key). */
export interface RequestErrorContext {
  /** HTTP method, upper case. */
  method: string;
  /** Path template, e.g. `/projects/{project_id}/branches`. */
  path: string;
  /** The path with its parameters filled in. */
  resolvedPath?: string;
  /** Our `X-Request-ID` for the call. */
  clientRequestId?: string;
  /** Attempts made, including the one that failed. */
  attempts?: number;
}

/** Base class of every error this package throws. */
export class NeonError extends Error {
  /** Stable identifier of the error class (never Neon's own code). */
  readonly errorCode: NeonErrorCode;
  /**
   * Stable code. For {@link NeonApiError} this is Neon's `code` from the error body
   * instead (often `''`); use `errorCode` or the class when you need ours.
   */
  readonly code: string;

  constructor(errorCode: NeonErrorCode, message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errorCode = errorCode;
    this.code = options?.code ?? errorCode;
  }

  /** Plain-object form for structured logs; contains no secrets. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, errorCode: this.errorCode, code: this.code, message: this.message };
    for (const [k, v] of Object.entries(this)) {
      if (k === 'cause' || k in out) continue;
      out[k] = v;
    }
    if (this.cause instanceof Error) out.cause = { name: this.cause.name, message: this.cause.message };
    return out;
  }
}

/** Neon answered with a non-2xx status. */
export class NeonApiError extends NeonError {
  /** HTTP status. */
  readonly status: number;
  /** Neon's `request_id` from the error body, when present. */
  readonly requestId: string | undefined;
  /** Neon's own `message` (scrubbed), without our prefix; the status text when the body had none. */
  readonly neonMessage: string;
  /** HTTP method, upper case. */
  readonly method: string;
  /** Route template, e.g. `/projects/{project_id}/branches`. */
  readonly path: string;
  /** The path with its parameters filled in. */
  readonly resolvedPath: string | undefined;
  /** Our `X-Request-ID`. */
  readonly clientRequestId: string | undefined;
  /** Attempts made before giving up. */
  readonly attempts: number | undefined;
  /**
   * True when a mutation may have been applied although it failed (e.g. a 524 or
   * 500 on POST): reconcile before repeating it.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    init: RequestErrorContext & { status: number; neonCode: string; neonMessage: string; requestId?: string; outcomeUnknown?: boolean },
    errorCode: NeonErrorCode = NeonErrorCodes.api,
  ) {
    const rid = init.requestId ? ` (request_id ${init.requestId})` : '';
    // `code` is Neon's own code here (often ''): branch on `status` or the class.
    super(errorCode, `Neon API ${init.method} ${init.path} failed with ${init.status}: ${init.neonMessage}${rid}`, {
      code: init.neonCode,
    });
    this.status = init.status;
    this.requestId = init.requestId;
    this.neonMessage = init.neonMessage;
    this.method = init.method;
    this.path = init.path;
    this.resolvedPath = init.resolvedPath;
    this.clientRequestId = init.clientRequestId;
    this.attempts = init.attempts;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }
}

type ApiErrorInit = ConstructorParameters<typeof NeonApiError>[0];

/** 401 or 403: the key is wrong, revoked or not allowed to do this. */
export class NeonAuthError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.auth); }
}
/** 404. Right after a create, a GET can briefly return this. */
export class NeonNotFoundError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.notFound); }
}
/** 409, e.g. a duplicate branch name. */
export class NeonConflictError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.conflict); }
}
/** 422, e.g. "branch not ready yet". */
export class NeonUnprocessableError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.unprocessable); }
}
/** 423: the project has conflicting operations running. Retryable. */
export class NeonLockedError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.locked); }
}
/** 429. Retryable; `retryAfterMs` when Neon sent `Retry-After`. */
export class NeonRateLimitError extends NeonApiError {
  /** Delay Neon asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  constructor(init: ApiErrorInit & { retryAfterMs?: number }) {
    super(init, NeonErrorCodes.rateLimited);
    this.retryAfterMs = init.retryAfterMs;
  }
}
/** 5xx, including Cloudflare's 524. */
export class NeonServerError extends NeonApiError {
  constructor(init: ApiErrorInit) { super(init, NeonErrorCodes.server); }
}

/** The request failed without an HTTP answer (DNS, reset, refused, ...). */
export class NeonConnectionError extends NeonError {
  readonly method: string;
  readonly path: string;
  readonly resolvedPath: string | undefined;
  readonly clientRequestId: string | undefined;
  readonly attempts: number | undefined;
  /**
   * True when a POST/PATCH/DELETE may have reached Neon and been applied while
   * the answer was lost. Such calls are not retried unless `safeToRepeat`.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    init: RequestErrorContext & { cause: unknown; outcomeUnknown: boolean; detail?: string },
    errorCode: NeonErrorCode = NeonErrorCodes.connection,
  ) {
    const what = errorCode === NeonErrorCodes.timeout ? 'timed out' : 'failed without a response';
    const detail = init.detail ? `: ${init.detail}` : '';
    const unknown = init.outcomeUnknown ? ' (outcome unknown: the request may have been applied)' : '';
    super(errorCode, `Neon API ${init.method} ${init.path} ${what}${detail}${unknown}`, { cause: init.cause });
    this.method = init.method;
    this.path = init.path;
    this.resolvedPath = init.resolvedPath;
    this.clientRequestId = init.clientRequestId;
    this.attempts = init.attempts;
    this.outcomeUnknown = init.outcomeUnknown;
  }
}

/** An attempt took longer than `timeoutMs`. */
export class NeonTimeoutError extends NeonConnectionError {
  /** The per-attempt timeout that fired. */
  readonly timeoutMs: number;
  constructor(init: RequestErrorContext & { cause: unknown; outcomeUnknown: boolean; timeoutMs: number }) {
    super({ ...init, detail: `after ${init.timeoutMs} ms` }, NeonErrorCodes.timeout);
    this.timeoutMs = init.timeoutMs;
  }
}

/** The caller's AbortSignal fired; no further attempts are made. */
export class NeonAbortedError extends NeonError {
  readonly method: string | undefined;
  readonly path: string | undefined;
  /** True when a mutation was in flight when the signal fired: it may have been applied. */
  readonly outcomeUnknown: boolean;
  constructor(init: { method?: string; path?: string; cause?: unknown; outcomeUnknown?: boolean } = {}) {
    const where = init.method && init.path ? `Neon API ${init.method} ${init.path} ` : 'Neon call ';
    super(NeonErrorCodes.aborted, `${where}aborted by the caller`, { cause: init.cause });
    this.method = init.method;
    this.path = init.path;
    this.outcomeUnknown = init.outcomeUnknown ?? false;
  }
}

/** Status codes after which another attempt can succeed. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([423, 429, 502, 503, 504, 524]);

/**
 * Whether repeating the call can help: 423/429/502/503/504/524 and network
 * failures — except when the outcome of a mutation is unknown (repeat only after
 * reconciling, or when the call is safe to repeat).
 */
export function isRetryableNeonError(err: unknown): boolean {
  if (err instanceof NeonAbortedError) return false;
  if (err instanceof NeonApiError) return RETRYABLE_STATUSES.has(err.status) && !err.outcomeUnknown;
  if (err instanceof NeonConnectionError) return !err.outcomeUnknown;
  return false;
}
