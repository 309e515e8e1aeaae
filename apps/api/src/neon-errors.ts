import {
  NeonApiError,
  NeonConnectionError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonUnprocessableError,
} from '@neonops/neon-client';
import { RateBudgetTimeoutError } from '@neonops/intents';
import { BadRequestError, NeonUnavailableError, NeonUpstreamError, ResourceNotFoundError, type ApiError } from './errors.js';

/**
 * Maps a Neon client error to the API's catalog: 404 stays 404; 429, 503 and network
 * failures are 503 (retry later); other 5xx and unexpected 4xx are 502. Neon's message is
 * not passed on for 5xx; its request id is logged by the caller.
 */
export function mapNeonError(error: unknown): ApiError | undefined {
  if (error instanceof NeonNotFoundError) return new ResourceNotFoundError('Neon has no such resource');
  // The shared Neon budget (workers and API together) had no room in time: Neon was not asked.
  if (error instanceof RateBudgetTimeoutError) return new NeonUnavailableError('The Neon account’s shared request budget is spent for now', 1, { cause: error });
  if (error instanceof NeonRateLimitError) {
    const seconds = error.retryAfterMs === undefined ? 1 : Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    return new NeonUnavailableError('Neon is rate limiting requests', seconds, { cause: error });
  }
  if (error instanceof NeonServerError) {
    return error.status === 503
      ? new NeonUnavailableError('Neon is unavailable', 1, { cause: error })
      : new NeonUpstreamError(`Neon answered ${error.status}`, { cause: error });
  }
  if (error instanceof NeonUnprocessableError || (error instanceof NeonApiError && error.status === 400)) {
    return new BadRequestError('Neon refused the request parameters', { cause: error });
  }
  if (error instanceof NeonApiError) return new NeonUpstreamError(`Neon answered ${error.status}`, { cause: error });
  if (error instanceof NeonConnectionError) return new NeonUnavailableError('Neon is not reachable', 1, { cause: error });
  return undefined;
}
