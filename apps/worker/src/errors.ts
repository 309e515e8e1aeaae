import {
  NeonApiError,
  NeonAuthError,
  NeonConflictError,
  NeonConnectionError,
  NeonError,
  NeonLockedError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonUnprocessableError,
} from '@neonops/neon-client';
import type { IntentError } from '@neonops/intents';
import { ZodError } from 'zod';
import { RateBudgetAbortedError, RateBudgetTimeoutError } from './rate-budget.js';

/** Stable codes of intent failures, as the API shows them. */
export const FailureCodes = {
  badRequest: 'neon_bad_request',
  unauthorized: 'neon_unauthorized',
  forbidden: 'neon_forbidden',
  notFound: 'neon_not_found',
  conflict: 'neon_conflict',
  unprocessable: 'neon_unprocessable',
  locked: 'neon_locked',
  rateLimited: 'neon_rate_limited',
  unavailable: 'neon_unavailable',
  unreachable: 'neon_unreachable',
  apiError: 'neon_api_error',
  operationFailed: 'neon_operation_failed',
  /** Neon operations did not end within the wait deadline (`OPERATION_DEADLINE_MS`, or 4 × their learned duration). */
  operationStuck: 'neon_operation_stuck',
  retriesExhausted: 'retries_exhausted',
  /** `branch.delete` of a branch Neon marks protected (checked right before deleting). */
  branchProtected: 'branch_protected',
  invalidParams: 'invalid_params',
  internal: 'internal_error',
  workerLost: 'worker_lost',
} as const;

/**
 * A failure the worker decided on itself (a conflict that is not ours, a failed Neon
 * operation, ...): the intent fails at once with this error.
 */
export class IntentFailedError extends Error {
  readonly code: string;
  constructor(readonly failure: IntentError) {
    super(failure.message);
    this.name = 'IntentFailedError';
    this.code = failure.code;
  }
}

/**
 * A condition that will pass by itself (a resource we just created is not visible yet,
 * "branch not ready yet"): retried with backoff like a 503.
 */
export class NotReadyError extends Error {
  readonly code = 'not_ready';
  constructor(message: string) {
    super(message);
    this.name = 'NotReadyError';
  }
}

export interface Classified {
  /** True when another attempt can succeed (423, 429, 5xx, network, not ready). */
  retryable: boolean;
  error: IntentError;
}

function neonFields(err: NeonApiError): Pick<IntentError, 'neonRequestId' | 'neonStatus'> {
  return { ...(err.requestId ? { neonRequestId: err.requestId } : {}), neonStatus: err.status };
}

/**
 * Neon's 422 has no machine code for "not ready yet" (only its message says so), so this
 * one decision has to read the message: a branch or endpoint that is still being created
 * becomes usable soon, every other 422 will not change by itself.
 */
export function isNotReady(err: NeonUnprocessableError): boolean {
  return /not ready/i.test(err.message);
}

/** Decides by error class whether an attempt may be repeated, and how the failure reads. */
export function classify(err: unknown): Classified {
  if (err instanceof IntentFailedError) return { retryable: false, error: err.failure };
  if (err instanceof NotReadyError) return { retryable: true, error: { code: err.code, message: err.message } };
  if (err instanceof NeonApiError) {
    const base = { message: err.message, ...neonFields(err) };
    if (err instanceof NeonLockedError) return { retryable: true, error: { code: FailureCodes.locked, ...base } };
    if (err instanceof NeonRateLimitError) return { retryable: true, error: { code: FailureCodes.rateLimited, ...base } };
    if (err instanceof NeonServerError || err.status >= 500) return { retryable: true, error: { code: FailureCodes.unavailable, ...base } };
    if (err.status === 408) return { retryable: true, error: { code: FailureCodes.unreachable, ...base } };
    if (err instanceof NeonAuthError) {
      return { retryable: false, error: { code: err.status === 403 ? FailureCodes.forbidden : FailureCodes.unauthorized, ...base } };
    }
    if (err instanceof NeonNotFoundError) return { retryable: false, error: { code: FailureCodes.notFound, ...base } };
    if (err instanceof NeonConflictError) return { retryable: false, error: { code: FailureCodes.conflict, ...base } };
    if (err instanceof NeonUnprocessableError) {
      return isNotReady(err)
        ? { retryable: true, error: { code: FailureCodes.unprocessable, ...base } }
        : { retryable: false, error: { code: FailureCodes.unprocessable, ...base } };
    }
    if (err.status === 400) return { retryable: false, error: { code: FailureCodes.badRequest, ...base } };
    return { retryable: false, error: { code: FailureCodes.apiError, ...base } };
  }
  if (err instanceof NeonConnectionError) return { retryable: true, error: { code: FailureCodes.unreachable, message: err.message } };
  if (err instanceof RateBudgetTimeoutError) return { retryable: true, error: { code: FailureCodes.rateLimited, message: err.message } };
  if (err instanceof RateBudgetAbortedError) return { retryable: true, error: { code: FailureCodes.internal, message: err.message } };
  if (err instanceof NeonError) return { retryable: false, error: { code: FailureCodes.apiError, message: err.message } };
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
    return { retryable: false, error: { code: FailureCodes.invalidParams, message: `Invalid intent params: ${where}` } };
  }
  // Anything else (Redis hiccup, a bug) may pass on a later attempt; it is retried and then reported.
  const message = err instanceof Error ? err.message : String(err);
  return { retryable: true, error: { code: FailureCodes.internal, message } };
}

/** Whether a create's outcome is unknown: the request may have been applied although it failed. */
export function outcomeUnknown(err: unknown): boolean {
  return (err instanceof NeonApiError || err instanceof NeonConnectionError) && err.outcomeUnknown;
}
