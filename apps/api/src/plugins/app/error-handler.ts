import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import {
  ApiError,
  BadRequestError,
  BodyTooLargeError,
  InternalError,
  MalformedJsonError,
  PROBLEM_CONTENT_TYPE,
  problemType,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  ValidationError,
  type FieldError,
  type Problem,
} from '../../errors.js';

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

/** Dotted field path from an instancePath like `/params/endpoints/0/type`. */
function dotted(instancePath: string): string {
  return instancePath.split('/').filter(Boolean).join('.');
}

/** Field errors from a Fastify validation error, naming each field (unknown keys by their own name). */
function fieldErrors(error: FastifyError): FieldError[] {
  const where = error.validationContext ?? 'body';
  if (hasZodFastifySchemaValidationErrors(error)) {
    return error.validation.flatMap((issue) => {
      const base = dotted(issue.instancePath);
      const keys = (issue.params as { keys?: unknown }).keys;
      if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
        return keys.map((key) => ({ in: where, path: base === '' ? String(key) : `${base}.${String(key)}`, message: 'unknown field' }));
      }
      return [{ in: where, path: base, message: issue.message ?? 'invalid value' }];
    });
  }
  return (error.validation ?? []).map((issue) => ({ in: where, path: dotted(issue.instancePath), message: issue.message ?? 'invalid value' }));
}

/** Maps anything thrown to a catalog error; unknown errors become a 500 whose detail is hidden. */
export function toApiError(error: unknown, mapError?: (error: unknown) => ApiError | undefined): ApiError {
  if (error instanceof ApiError) return error;
  const mapped = mapError?.(error);
  if (mapped) return mapped;
  if (isFastifyError(error)) {
    if (error.validation) return new ValidationError(fieldErrors(error));
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return new MalformedJsonError('The body could not be parsed as JSON');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new MalformedJsonError('The body is empty but the content type is application/json');
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new BodyTooLargeError('The body exceeds the configured limit');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new UnsupportedMediaTypeError();
      default:
        // Other 4xx from Fastify itself (bad content length, and such) are the client's.
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
          return new BadRequestError(error.message);
        }
    }
  }
  return new InternalError();
}

/** Largest oversize body read (and thrown away) after a 413 so that the client gets to read the answer. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Fastify answers an oversize body with `Connection: close` and closes before reading it: a
 * client still sending its body then often gets a reset, which can destroy the 413 before it
 * is read. Up to {@link DRAIN_LIMIT_BYTES} announced by `Content-Length`, the connection stays
 * open instead and Node reads the rest of the body and throws it away (the request timeout
 * still bounds it); larger or unannounced bodies keep the close.
 */
function keepReadingAfter413(request: FastifyRequest, reply: FastifyReply): void {
  const length = Number(request.headers['content-length']);
  if (Number.isFinite(length) && length <= DRAIN_LIMIT_BYTES) reply.removeHeader('connection');
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, apiError: ApiError): FastifyReply {
  const problem: Problem = {
    type: problemType(apiError.code),
    title: apiError.title,
    status: apiError.status,
    code: apiError.code,
    instance: request.url.split('?')[0],
    requestId: request.id,
    ...(apiError.detail === undefined ? {} : { detail: apiError.detail }),
    ...(apiError.errors === undefined ? {} : { errors: apiError.errors }),
  };
  return reply.code(apiError.status).headers(apiError.headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * One error handler for the whole API: every error becomes `application/problem+json`
 * with a stable `code`. 5xx answers carry no internals; the cause is logged (without
 * request bodies, which may hold secrets).
 */
export default fp<{ mapError?: (error: unknown) => ApiError | undefined }>(
  async (fastify, options) => {
    fastify.setErrorHandler((error, request, reply) => {
      const apiError = toApiError(error, options.mapError);
      if (apiError.status >= 500) {
        request.log.error({ err: error, code: apiError.code }, 'request failed');
      } else {
        request.log.info({ code: apiError.code, status: apiError.status }, 'request rejected');
      }
      if (apiError instanceof BodyTooLargeError) keepReadingAfter413(request, reply);
      return sendProblem(request, reply, apiError);
    });
    fastify.setNotFoundHandler((request, reply) => sendProblem(request, reply, new RouteNotFoundError(`${request.method} ${request.url.split('?')[0]}`)));
  },
  { name: 'error-handler' },
);
