export { createNeonClient, type NeonClient } from './client.js';
export type {
  CallOptions,
  NeonClientHooks,
  NeonClientOptions,
  RateBudget,
  RequestInfo,
  ResponseInfo,
  RetryInfo,
  RetryOptions,
} from './core/options.js';
export { DEFAULTS } from './core/options.js';
export type { TypedCall, TypedArgs } from './core/typed.js';
export { parseRetryAfter, backoffDelay } from './core/retry.js';
export {
  NeonAbortedError,
  NeonApiError,
  NeonAuthError,
  NeonConflictError,
  NeonConnectionError,
  NeonError,
  NeonErrorCodes,
  NeonLockedError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonTimeoutError,
  NeonUnprocessableError,
  RETRYABLE_STATUSES,
  isRetryableNeonError,
  type NeonErrorCode,
} from './errors.js';
export {
  NeonOperationFailedError,
  NeonOperationsTimeoutError,
  WAIT_DEFAULTS,
  isOperationFailed,
  isOperationSucceeded,
  isOperationTerminal,
  summarizeOperations,
  type OperationsSummary,
  type WaitForOperationsOptions,
} from './operations.js';
export { paginate, type PaginateOptions } from './pagination.js';
export { redactConnectionUri } from './redact.js';
export type { ListBranchesQuery, CreateBranchBody } from './methods/branches.js';
export type { ListProjectsQuery, ListSharedProjectsQuery, ConnectionUriQuery } from './methods/projects.js';
export type { ListOperationsQuery } from './methods/operations.js';
export type { BranchConsumption, BranchConsumptionQuery, ConsumptionQuery, ProjectConsumption } from './methods/consumption.js';
export type * from './types.js';
