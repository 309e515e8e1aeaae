import { z } from 'zod';
import { deliveryViewSchema, subscriptionViewSchema } from '@neonops/webhooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { subscriptionView } from '../plugins/app/webhooks.js';
import { commonProblems, problem } from './schemas.js';
import {
  createWebhookBodySchema,
  deliveryListSchema,
  listDeliveriesQuerySchema,
  recoverBodySchema,
  recoverResultSchema,
  updateWebhookBodySchema,
  webhookIdParamsSchema,
  webhookListSchema,
  webhookWithSecretSchema,
} from './webhooks-schemas.js';

const notFound = problem('`webhook_not_found`: no such subscription for this team');
const disabled = problem('`webhook_disabled`: re-enable the subscription first');
const base = { tags: ['webhooks'], security: [{ bearer: [] }] };

/** `/v1/webhooks` and `/v1/webhook-deliveries`: subscriptions, their delivery log, test, rotate, replay and recover. */
const webhookRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/v1/webhooks',
    {
      schema: {
        ...base,
        summary: 'Subscribe to intent events',
        description:
          'Creates a subscription and answers its signing secret (`whsec_…`), shown only here and by rotate-secret. ' +
          'Deliveries are signed per the Standard Webhooks specification.',
        body: createWebhookBodySchema,
        response: { 201: webhookWithSecretSchema, ...commonProblems },
      },
    },
    async (request, reply) => {
      const { subscription, secret } = await fastify.webhooks.create(request.team, request.body);
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${subscription.id}`)
        .send({ ...subscriptionView(subscription), secret });
    },
  );

  fastify.get(
    '/v1/webhooks',
    { schema: { ...base, summary: 'List the team’s webhook subscriptions', response: { 200: webhookListSchema, ...commonProblems } } },
    async (request) => ({ items: (await fastify.webhooks.list(request.team)).map(subscriptionView) }),
  );

  fastify.get(
    '/v1/webhooks/:id',
    {
      schema: {
        ...base,
        summary: 'Read a webhook subscription',
        description: 'Never shows the secret. A disabled subscription says why in `disabledReason`.',
        params: webhookIdParamsSchema,
        response: { 200: subscriptionViewSchema, ...commonProblems, 404: notFound },
      },
    },
    async (request) => subscriptionView(await fastify.webhooks.get(request.team, request.params.id)),
  );

  fastify.patch(
    '/v1/webhooks/:id',
    {
      schema: {
        ...base,
        summary: 'Change a webhook subscription',
        description: 'url, events, enabled, description. `enabled: true` re-enables a disabled subscription.',
        params: webhookIdParamsSchema,
        body: updateWebhookBodySchema,
        response: { 200: subscriptionViewSchema, ...commonProblems, 404: notFound },
      },
    },
    async (request) => subscriptionView(await fastify.webhooks.update(request.team, request.params.id, request.body)),
  );

  fastify.delete(
    '/v1/webhooks/:id',
    {
      schema: {
        ...base,
        summary: 'Delete a webhook subscription',
        description: 'Pending deliveries to it are dropped.',
        params: webhookIdParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...commonProblems, 404: notFound },
      },
    },
    async (request, reply) => {
      await fastify.webhooks.delete(request.team, request.params.id);
      return reply.code(204).send(null);
    },
  );

  fastify.post(
    '/v1/webhooks/:id/test',
    {
      schema: {
        ...base,
        summary: 'Send a ping',
        description: 'Queues a signed `ping` event to the subscription (whatever its filters); follow it in the delivery log.',
        params: webhookIdParamsSchema,
        response: { 202: deliveryViewSchema, ...commonProblems, 404: notFound, 409: disabled },
      },
    },
    async (request, reply) => reply.code(202).send(await fastify.webhooks.ping(request.team, request.params.id)),
  );

  fastify.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        ...base,
        summary: 'Rotate the signing secret',
        description:
          'Answers a new secret (shown once). During the overlap window (`WEBHOOK_SECRET_OVERLAP_SECONDS`, default 24 h) every delivery ' +
          'carries a signature with the old and one with the new secret; `previousSecretExpiresAt` says when the old one stops.',
        params: webhookIdParamsSchema,
        response: { 200: webhookWithSecretSchema, ...commonProblems, 404: notFound },
      },
    },
    async (request) => {
      const { subscription, secret } = await fastify.webhooks.rotateSecret(request.team, request.params.id);
      return { ...subscriptionView(subscription), secret };
    },
  );

  fastify.get(
    '/v1/webhooks/:id/deliveries',
    {
      schema: {
        ...base,
        summary: 'The delivery log of a subscription',
        description:
          'Newest first; each delivery with its attempts (time, response status, latency, the first KiB of the response body, error), ' +
          'status and next attempt time. Filter by `status` and `eventType`; follow `nextCursor`.',
        params: webhookIdParamsSchema,
        querystring: listDeliveriesQuerySchema,
        response: { 200: deliveryListSchema, ...commonProblems, 404: notFound },
      },
    },
    async (request) => fastify.webhooks.deliveries(request.team, request.params.id, request.query),
  );

  fastify.post(
    '/v1/webhooks/:id/recover',
    {
      schema: {
        ...base,
        summary: 'Re-send deliveries that did not succeed since a time',
        description:
          'Replays every `failed` delivery whose event happened at or after `since`, and gives a job to every `pending` one that lost it ' +
          '(a crash between recording the delivery and queueing it). Pending deliveries still being retried are left to their retries.',
        params: webhookIdParamsSchema,
        body: recoverBodySchema,
        response: { 202: recoverResultSchema, ...commonProblems, 404: notFound, 409: disabled },
      },
    },
    async (request, reply) => {
      const replayed = await fastify.webhooks.recover(request.team, request.params.id, new Date(request.body.since));
      return reply.code(202).send({ replayed: replayed.length, deliveryIds: replayed.map((d) => d.id) });
    },
  );

  fastify.get(
    '/v1/webhook-deliveries/:id',
    {
      schema: {
        ...base,
        summary: 'Read one delivery with its attempts',
        params: webhookIdParamsSchema,
        response: { 200: deliveryViewSchema, ...commonProblems, 404: problem('`webhook_delivery_not_found`') },
      },
    },
    async (request) => fastify.webhooks.delivery(request.team, request.params.id),
  );

  fastify.post(
    '/v1/webhook-deliveries/:id/replay',
    {
      schema: {
        ...base,
        summary: 'Send a delivery again',
        description:
          'Same `webhook-id`; earlier attempts stay in the log. A finished delivery starts a fresh retry schedule (`replays` + 1). ' +
          'A delivery still being retried keeps its one schedule: its next attempt is brought forward to now.',
        params: webhookIdParamsSchema,
        response: { 202: deliveryViewSchema, ...commonProblems, 404: problem('`webhook_delivery_not_found`'), 409: disabled },
      },
    },
    async (request, reply) => reply.code(202).send(await fastify.webhooks.replay(request.team, request.params.id)),
  );
};

export default webhookRoutes;
