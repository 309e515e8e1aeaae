import { z } from 'zod';

/**
 * The API's error catalog: one class per stable `code`, each with its HTTP status and title.
 * The error handler (plugins/app/error-handler.ts) turns them into `application/problem+json`
 * (RFC 9457). Clients branch on `code`, never on `title` or `detail`.
 */

/** One field that failed validation: where it was (`body`, `querystring`, `params`, `headers`) and its dotted path. */
export const fieldErrorSchema = z.object({
  in: z.string(),
  path: z.string(),
  message: z.string(),
});
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** The problem document every error response carries. */
export const problemSchema = z
  .object({
    type: z.string().describe('URI naming the problem type: urn:neonops:problem:<code>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    code: z.string().describe('Stable machine-readable error code'),
    instance: z.string().optional().describe('The request path'),
    requestId: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemType(code: string): string {
  return `urn:neonops:problem:${code}`;
}

/** Base of every error the API answers with on purpose. */
export abstract class ApiError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  abstract readonly title: string;
  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  headers: Record<string, string> = {};
  /** Per-field details of validation errors. */
  errors: FieldError[] | undefined;

  constructor(detail?: string, options?: { cause?: unknown }) {
    super(detail ?? '', options);
    this.name = new.target.name;
  }

  /** The client-facing explanation; empty when the title says it all. */
  get detail(): string | undefined {
    return this.message === '' ? undefined : this.message;
  }
}

export class UnauthorizedError extends ApiError {
  readonly code = 'unauthorized';
  readonly status = 401;
  readonly title = 'Missing or invalid bearer token';
  constructor(detail?: string) {
    super(detail);
    this.headers['www-authenticate'] = 'Bearer realm="neonops"';
  }
}

export class KindForbiddenError extends ApiError {
  readonly code = 'kind_forbidden';
  readonly status = 403;
  readonly title = 'This intent kind needs an admin token';
}

export class ProjectCreationForbiddenError extends ApiError {
  readonly code = 'project_creation_forbidden';
  readonly status = 403;
  readonly title = 'This team may not create projects';
}

/** The kind is not among the team's kinds on the project (teams file `kinds` / `projectKinds`). */
export class KindNotAllowedOnProjectError extends ApiError {
  readonly code = 'kind_not_allowed_on_project';
  readonly status = 403;
  readonly title = 'This team may not submit this intent kind on this project';
}

/** A destructive project kind (`project.delete`) from a team that does not own the project. */
export class NotProjectOwnerError extends ApiError {
  readonly code = 'not_project_owner';
  readonly status = 403;
  readonly title = 'Only the team owning the project may submit this intent kind';
}

/** `api_key.revoke` of the Neon API key the service runs on (`NEON_API_KEY_ID`). */
export class ServiceKeyProtectedError extends ApiError {
  readonly code = 'service_key_protected';
  readonly status = 403;
  readonly title = 'The API key this service runs on cannot be revoked through it';
}

/** `branch.delete` of a branch Neon marks protected. */
export class BranchProtectedError extends ApiError {
  readonly code = 'branch_protected';
  readonly status = 403;
  readonly title = 'A protected branch cannot be deleted';
}

export class RouteNotFoundError extends ApiError {
  readonly code = 'route_not_found';
  readonly status = 404;
  readonly title = 'No such route';
}

export class IntentNotFoundError extends ApiError {
  readonly code = 'intent_not_found';
  readonly status = 404;
  readonly title = 'Intent not found';
}

/** Also used for projects of other teams: a team must not learn that they exist. */
export class ProjectNotFoundError extends ApiError {
  readonly code = 'project_not_found';
  readonly status = 404;
  readonly title = 'Project not found';
}

export class ResourceNotFoundError extends ApiError {
  readonly code = 'resource_not_found';
  readonly status = 404;
  readonly title = 'Resource not found';
}

export class ValidationError extends ApiError {
  readonly code = 'validation_failed';
  readonly status = 400;
  readonly title = 'The request is not valid';
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.in}${e.path === '' ? '' : `.${e.path}`}: ${e.message}`).join('; '));
    this.errors = errors;
  }
}

export class MalformedJsonError extends ApiError {
  readonly code = 'malformed_json';
  readonly status = 400;
  readonly title = 'The body is not valid JSON';
}

export class BodyTooLargeError extends ApiError {
  readonly code = 'body_too_large';
  readonly status = 413;
  readonly title = 'The body is too large';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly code = 'unsupported_media_type';
  readonly status = 415;
  readonly title = 'Send the body as application/json';
}

export class BadRequestError extends ApiError {
  readonly code = 'bad_request';
  readonly status = 400;
  readonly title = 'Bad request';
}

export class IdempotencyKeyMismatchError extends ApiError {
  readonly code = 'idempotency_key_mismatch';
  readonly status = 422;
  readonly title = 'This Idempotency-Key was used with a different request';
}

export class IdempotencyRequestInFlightError extends ApiError {
  readonly code = 'idempotency_request_in_flight';
  readonly status = 409;
  readonly title = 'A request with this Idempotency-Key is still being handled';
  constructor() {
    super('Retry after the first request has finished');
    this.headers['retry-after'] = '1';
  }
}

export class IntentAlreadyFinishedError extends ApiError {
  readonly code = 'intent_already_finished';
  readonly status = 409;
  readonly title = 'The intent has already finished';
}

export class TooManyActiveIntentsError extends ApiError {
  readonly code = 'too_many_active_intents';
  readonly status = 429;
  readonly title = 'The team has too many queued or running intents';
  constructor(limit: number, retryAfterSeconds: number) {
    super(`At most ${limit} intents may be queued, running or waiting at once`);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/** The team sent more requests than its per-minute limit (`limits.requestsPerMinute`). */
export class TeamRateLimitedError extends ApiError {
  readonly code = 'rate_limited';
  readonly status = 429;
  readonly title = 'The team sent too many requests';
  constructor(limit: number, retryAfterSeconds: number) {
    super(`At most ${limit} requests per minute for this team; retry after ${retryAfterSeconds} s`);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/**
 * Redis did not answer, or answered that it cannot take writes now (full, a read-only
 * replica during a failover, loading); the request changed nothing that a retry would repeat.
 */
export class StoreUnavailableError extends ApiError {
  readonly code = 'store_unavailable';
  readonly status = 503;
  readonly title = 'The intent store is unavailable';
  /** The Redis reply prefix that made it unavailable (`OOM`, `READONLY`, …), for the log; absent when Redis did not answer. */
  readonly reason: string | undefined;
  /**
   * @param options.reason the Redis reply prefix, when Redis answered.
   * @param options.retryAfterSeconds the `Retry-After` header. Default 1.
   * @param options.detail what is away, when it is not Redis (the durable history's PostgreSQL). Default: about Redis.
   */
  constructor(options?: { cause?: unknown; reason?: string; retryAfterSeconds?: number; detail?: string }) {
    super(
      options?.detail ??
        (options?.reason === undefined ? 'Redis is not reachable; retry later' : 'Redis cannot take the request right now (full or failing over); retry later'),
      options,
    );
    this.reason = options?.reason;
    this.headers['retry-after'] = String(options?.retryAfterSeconds ?? 1);
  }
}

export class NeonNotConfiguredError extends ApiError {
  readonly code = 'neon_not_configured';
  readonly status = 503;
  readonly title = 'No Neon API key is configured for read-through routes';
}

/** A route that reads or writes the durable store (budgets, quota policies and findings) on an API without `DATABASE_URL`. */
export class DurableStoreNotConfiguredError extends ApiError {
  readonly code = 'durable_store_not_configured';
  readonly status = 503;
  readonly title = 'No durable store (DATABASE_URL) is configured';
}

/** No schedule by that id for this team (another team's is as good as missing). */
export class ScheduleNotFoundError extends ApiError {
  readonly code = 'schedule_not_found';
  readonly status = 404;
  readonly title = 'Schedule not found';
}

/** A token with the `read` scope only asked for a change. */
export class TokenReadOnlyError extends ApiError {
  readonly code = 'token_read_only';
  readonly status = 403;
  readonly title = 'This token may only read';
}

/** The token's kinds (set when it was made) do not include the requested intent kind. */
export class KindNotAllowedForTokenError extends ApiError {
  readonly code = 'kind_not_allowed_for_token';
  readonly status = 403;
  readonly title = 'This token may not submit this intent kind';
}

/** A managed team or token id that is already taken. */
export class TeamExistsError extends ApiError {
  readonly code = 'team_exists';
  readonly status = 409;
  readonly title = 'A team with this id exists';
}

/** No such token of the team. */
export class TokenNotFoundError extends ApiError {
  readonly code = 'token_not_found';
  readonly status = 404;
  readonly title = 'No such token';
}

/** A token of the teams file cannot be revoked through the API: remove it from the file. */
export class TokenInTeamsFileError extends ApiError {
  readonly code = 'token_in_teams_file';
  readonly status = 409;
  readonly title = 'This token comes from the teams file';
}

/** A non-admin token named another team (`teamId`): only admin tokens act for other teams. */
export class TeamForbiddenError extends ApiError {
  readonly code = 'team_forbidden';
  readonly status = 403;
  readonly title = 'Only an admin token may act for another team';
}

/** An admin named a team the teams file does not have. */
export class TeamNotFoundError extends ApiError {
  readonly code = 'team_not_found';
  readonly status = 404;
  readonly title = 'No such team';
}

/** A usage or cost range that is not on the hour, not increasing, or too long. */
export class InvalidRangeError extends ApiError {
  readonly code = 'invalid_range';
  readonly status = 400;
  readonly title = 'The time range is not valid';
}

/** A cursor this route did not give (or given with another query). */
export class InvalidCursorError extends ApiError {
  readonly code = 'invalid_cursor';
  readonly status = 400;
  readonly title = 'The cursor is not one this route gave';
}

/** The team has no budget. */
export class BudgetNotFoundError extends ApiError {
  readonly code = 'budget_not_found';
  readonly status = 404;
  readonly title = 'The team has no budget';
}

/** Neon answered with an error we cannot pass on as such (auth, 4xx other than 404, 5xx). */
export class NeonUpstreamError extends ApiError {
  readonly code = 'neon_upstream_error';
  readonly status = 502;
  readonly title = 'Neon answered with an error';
}

/** Neon is rate limiting us or unavailable right now; retry later. */
export class NeonUnavailableError extends ApiError {
  readonly code = 'neon_unavailable';
  readonly status = 503;
  readonly title = 'Neon is unavailable or rate limited';
  constructor(detail: string, retryAfterSeconds = 1, options?: { cause?: unknown }) {
    super(detail, options);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/** Anything unexpected: its detail is logged, never sent. */
export class InternalError extends ApiError {
  readonly code = 'internal_error';
  readonly status = 500;
  readonly title = 'Internal server error';
}

/** Also used for other teams' subscriptions: a team must not learn that they exist. */
export class WebhookNotFoundError extends ApiError {
  readonly code = 'webhook_not_found';
  readonly status = 404;
  readonly title = 'Webhook subscription not found';
}

export class WebhookDeliveryNotFoundError extends ApiError {
  readonly code = 'webhook_delivery_not_found';
  readonly status = 404;
  readonly title = 'Webhook delivery not found';
}

/** Test, replay and recover need an enabled subscription (PATCH `{ "enabled": true }` first). */
export class WebhookDisabledError extends ApiError {
  readonly code = 'webhook_disabled';
  readonly status = 409;
  readonly title = 'The webhook subscription is disabled';
}

/** The URL names an address deliveries may never go to (loopback, private, link-local, metadata) and is not allowlisted. */
export class WebhookUrlForbiddenError extends ApiError {
  readonly code = 'webhook_url_forbidden';
  readonly status = 400;
  readonly title = 'Webhooks may not be sent to this address';
}

/** Also used for other teams' sources: a team must not learn that they exist. */
export class SourceNotFoundError extends ApiError {
  readonly code = 'source_not_found';
  readonly status = 404;
  readonly title = 'Source not found';
}

/** A source written in the teams file: it is changed or removed there (and the API restarted). */
export class SourceInTeamsFileError extends ApiError {
  readonly code = 'source_in_teams_file';
  readonly status = 409;
  readonly title = 'The source is managed by the teams file';
}

/** No preview of the team for that repository and pull request (no accepted event within 30 days). */
export class PreviewNotFoundError extends ApiError {
  readonly code = 'preview_not_found';
  readonly status = 404;
  readonly title = 'Preview not found';
}

/** A team has as many sources as it may (`maxSourcesPerTeam`). */
export class TooManySourcesError extends ApiError {
  readonly code = 'too_many_sources';
  readonly status = 409;
  readonly title = 'The team has too many sources';
}

/** A hook delivery whose signature is missing, wrong, or (Standard Webhooks) outside the 5-minute window. */
export class HookSignatureInvalidError extends ApiError {
  readonly code = 'hook_signature_invalid';
  readonly status = 401;
  readonly title = 'The delivery’s signature does not verify';
}

/** A GitHub delivery from a repository the source does not bind. */
export class RepositoryNotBoundError extends ApiError {
  readonly code = 'repository_not_bound';
  readonly status = 422;
  readonly title = 'The repository is not bound to this source';
}

/** The source's name template gives no usable Neon branch name for this pull request. */
export class PreviewNameInvalidError extends ApiError {
  readonly code = 'preview_name_invalid';
  readonly status = 422;
  readonly title = 'The name template gives no valid branch name';
}

/** A signed trigger asks for a kind or a project its source does not allow. */
export class TriggerForbiddenError extends ApiError {
  readonly code = 'trigger_forbidden';
  readonly status = 403;
  readonly title = 'This source may not trigger that intent';
}

/** A route for admin teams only (the queue board), asked by another team. */
export class AdminRequiredError extends ApiError {
  readonly code = 'admin_required';
  readonly status = 403;
  readonly title = 'Only admin teams may use this';
}

/** The process is under pressure (event loop lagging, heap full): it sheds load before it falls over. */
export class ServiceOverloadedError extends ApiError {
  readonly code = 'service_overloaded';
  readonly status = 503;
  readonly title = 'The service is overloaded';
  constructor(retryAfterSeconds: number) {
    super('This instance is too busy right now; retry after the Retry-After delay');
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}
