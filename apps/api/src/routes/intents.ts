import { INTENTS_QUEUE, intentRequestSchema } from '@neonops/intents';
import { jobAddTracer, requestTraceContext } from '@neonops/observability';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { untilClientGone } from './client-gone.js';
import { answerHeldKey } from '../plugins/app/idempotency/index.js';
import { HeldIdempotencyKeyError } from '../plugins/app/intents-service.js';
import { KindNotAllowedForTokenError } from '../errors.js';
import { tokenAllowsKind } from '../teams/managed-teams.js';
import {
  commonProblems,
  problem,
  idempotencyHeadersSchema,
  intentIdParamsSchema,
  intentWaitQuerySchema,
  intentListSchema,
  intentViewSchema,
  listIntentsQuerySchema,
} from './schemas.js';

/**
 * The 202 body of `POST /v1/intents` is the record the service just built and the store
 * validated against the same schema, already serialized (it is also the idempotent answer):
 * it is sent as it is rather than passed through zod and JSON.stringify again on every
 * request (the schema still documents the answer).
 */
const asIs = (payload: unknown): string => payload as string;

/** `/v1/intents`: submit, read, list and cancel intents of the caller's team. */
const intentRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/v1/intents',
    {
      config: { idempotent: 'atomic' },
      schema: {
        summary: 'Submit an intent',
        description:
          'Validates `{ kind, params }` against the intent catalog, checks the team may act on the project, stores the intent and queues it. ' +
          'With `Idempotency-Key`, a repeat of the same request returns the first answer (`Idempotent-Replayed: true`); ' +
          'the same key with another body gets 422, and while a request holding the key in flight elsewhere is still being handled, 409. ' +
          'The key is claimed in the same atomic step that stores the intent, so parallel identical requests make one intent and get its answer.',
        tags: ['intents'],
        security: [{ bearer: [] }],
        headers: idempotencyHeadersSchema,
        body: intentRequestSchema,
        response: {
          202: intentViewSchema.describe('Accepted; `Location` names the intent'),
          ...commonProblems,
          403: problem('`kind_forbidden` (admin-only kind), `project_creation_forbidden`, `kind_not_allowed_on_project` (not among the team\'s kinds on the project), `not_project_owner` (`project.delete` by a team not owning the project), `service_key_protected` (revoking the service\'s own Neon API key), `branch_protected` (deleting a protected branch), `kind_not_allowed_for_token` (outside the token\'s kinds), `token_read_only`'),
          404: problem('`project_not_found`: not one of the team’s projects'),
          409: problem('`idempotency_request_in_flight`'),
          413: problem('Body too large'),
          422: problem('`idempotency_key_mismatch`'),
          429: problem('`too_many_active_intents`; see `Retry-After`'),
        },
      },
    },
    async (request, reply) => {
      const key = request.idempotencyKey;
      const claim = request.idempotencyClaim;
      try {
        if (!tokenAllowsKind(request.caller, request.body.kind)) throw new KindNotAllowedForTokenError(`Token ${request.caller.tokenId} may not submit ${request.body.kind}`);
        // The key is claimed in the intent's own script (`idempotent: 'atomic'`): one round trip for both.
        // A kept trace's span goes to the job explicitly (no async context in the API).
        const { response } = await fastify.intents.submit(
          request.team,
          request.body,
          claim && key !== null ? { key, claim } : undefined,
          { type: 'token', id: request.caller.tokenId },
          jobAddTracer(requestTraceContext(request), INTENTS_QUEUE),
        );
        // The body the idempotency record stores, serialized once (`never`: the typed reply expects the object it encodes).
        return reply.code(202).headers(response.headers).serializer(asIs).send(response.body as never);
      } catch (error) {
        if (error instanceof HeldIdempotencyKeyError) return answerHeldKey(fastify, reply, error.outcome);
        // Refused before the script looked at the key (rights, token): a key that holds a value
        // is still answered first — a replay, 422 or 409 — as when the key was claimed first.
        if (claim) {
          const held = await fastify.idempotencyStore.peek(claim.redisKey, claim.fingerprint).catch(() => undefined);
          if (held) return answerHeldKey(fastify, reply, held);
        }
        throw error;
      }
    },
  );

  fastify.get(
    '/v1/intents',
    {
      schema: {
        summary: 'List the team’s intents',
        description: 'Newest first; filter by `status` and `kind`; follow `nextCursor` for more.',
        tags: ['intents'],
        security: [{ bearer: [] }],
        querystring: listIntentsQuerySchema,
        response: { 200: intentListSchema, ...commonProblems },
      },
    },
    async (request) => fastify.intents.list(request.team, request.query),
  );

  fastify.get(
    '/v1/intents/:id',
    {
      schema: {
        summary: 'Read an intent',
        description:
          'Status, steps (attempts, timestamps), Neon operation ids, result and error. Secrets of the result are opened here, for the owning team only. ' +
          'With `?wait=<seconds>` (at most 60) a long-poll: answered as soon as the intent is finished, or with its current state when the wait ends.',
        tags: ['intents'],
        security: [{ bearer: [] }],
        params: intentIdParamsSchema,
        querystring: intentWaitQuerySchema,
        response: { 200: intentViewSchema, ...commonProblems, 404: problem('`intent_not_found`') },
      },
    },
    async (request, reply) => {
      const waitSeconds = request.query.wait ?? 0;
      if (waitSeconds === 0) return fastify.intents.get(request.team, request.params.id);
      return untilClientGone(reply, (signal) => fastify.intents.getWhenDone(request.team, request.params.id, waitSeconds * 1000, signal));
    },
  );

  fastify.post(
    '/v1/intents/:id/cancel',
    {
      schema: {
        summary: 'Cancel an intent',
        description:
          'Queued: the job is removed and the intent is `cancelled` at once (200). Running or waiting: `cancelRequested` is set and the worker stops at the next step boundary; ' +
          'resources it created are then deleted unless its params say `onFailure: "keep"` (202; the record\'s `resources` and `undo` say what became of them). ' +
          'Finished: 409 `intent_already_finished`.',
        tags: ['intents'],
        security: [{ bearer: [] }],
        params: intentIdParamsSchema,
        response: {
          200: intentViewSchema.describe('Cancelled at once'),
          202: intentViewSchema.describe('Cancellation requested'),
          ...commonProblems,
          404: problem('`intent_not_found`'),
          409: problem('`intent_already_finished`'),
        },
      },
    },
    async (request, reply) => {
      const { outcome, intent } = await fastify.intents.cancel(request.team, request.params.id);
      return reply.code(outcome === 'cancelled' ? 200 : 202).send(intent);
    },
  );
};

export default intentRoutes;
