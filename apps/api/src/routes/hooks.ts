import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HookAnswer } from '../sources/hook-intake.js';
import { INTENTS_QUEUE, sourceIdParamsSchema } from '@neonops/intents';
import { jobAddTracer, requestTraceContext } from '@neonops/observability';
import { problem } from './schemas.js';

export interface HookRoutesOptions {
  /** Largest delivery in bytes (`413` beyond). Default 1 MiB: pull request events are tens of KiB. */
  bodyLimit?: number;
}

const outcomeSchema = z.object({ outcome: z.enum(['queued', 'ignored']), reason: z.string().optional(), intentId: z.string().optional(), kind: z.string().optional() });
const problems = {
  400: problem('`malformed_json`, `validation_failed` (a header or a field of the event)'),
  401: problem('`hook_signature_invalid`: missing or wrong signature (or, Standard Webhooks, a timestamp outside 5 minutes)'),
  404: problem('`source_not_found`'),
  409: problem('`idempotency_request_in_flight`: the same delivery is being handled'),
  413: problem('Body too large'),
  415: problem('Send `application/json`'),
  422: problem('`repository_not_bound`, `preview_name_invalid`, `idempotency_key_mismatch`'),
  429: problem('`too_many_active_intents`'),
};

/** Sends a hook's answer as stored (the first answer again on a redelivery, with `200`). */
function send(reply: FastifyReply, answer: HookAnswer, replayStatus?: number): FastifyReply {
  if (answer.replayed) reply.header('idempotent-replayed', 'true');
  return reply
    .code(answer.replayed && replayStatus !== undefined ? replayStatus : answer.status)
    .headers(answer.headers)
    .send(answer.body);
}

/**
 * `/v1/hooks/…`: deliveries signed with a source's secret (no bearer token). The body is
 * kept raw (a Buffer) so that the signature is checked over the exact bytes before any
 * parsing.
 */
const hookRoutes: FastifyPluginAsyncZod<HookRoutesOptions> = async (fastify, options) => {
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  fastify.post(
    '/v1/hooks/github/:sourceId',
    {
      bodyLimit,
      schema: {
        tags: ['hooks'],
        summary: 'A GitHub webhook delivery',
        description:
          'Set this URL as a repository webhook (content type `application/json`, the source’s secret, event “Pull requests”). `pull_request` opened / reopened / ready_for_review / synchronize / closed becomes a `preview.ensure` or `preview.teardown` intent (`202`); other events and actions (`ping` too) are `200` and ignored. A redelivery (same `X-GitHub-Delivery`) answers the first outcome with `200`.',
        params: sourceIdParamsSchema,
        response: { 200: outcomeSchema.describe('Ignored, or a redelivery'), 202: outcomeSchema.describe('Queued; `Location` names the intent'), ...problems },
      },
    },
    async (request, reply) => send(reply, await fastify.hooks.github(request.params.sourceId, request.headers, request.body as Buffer, jobAddTracer(requestTraceContext(request), INTENTS_QUEUE)), 200),
  );

  fastify.post(
    '/v1/hooks/:sourceId',
    {
      bodyLimit,
      schema: {
        tags: ['hooks'],
        summary: 'A signed intent request (Standard Webhooks)',
        description:
          'The body is `{ kind, params }` as for `POST /v1/intents`, signed per Standard Webhooks with the source’s `whsec_` secret (`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature`). `webhook-id` is the idempotency key: a repeat answers the first answer (`Idempotent-Replayed: true`).',
        params: sourceIdParamsSchema,
        response: { 202: z.looseObject({ id: z.string() }).describe('The intent'), ...problems, 403: problem('`trigger_forbidden`, `kind_forbidden`') },
      },
    },
    async (request, reply) => send(reply, await fastify.hooks.standard(request.params.sourceId, request.headers, request.body as Buffer, jobAddTracer(requestTraceContext(request), INTENTS_QUEUE))),
  );
};

export default hookRoutes;
