import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { closeHandshaken } from '@neonops/intents';
import { createWebhooksQueue } from '@neonops/webhooks';
import type { FastifyPluginAsync } from 'fastify';
import { AdminRequiredError } from '../../errors.js';
import { sendProblem, toApiError } from './error-handler.js';

export interface QueueBoardOptions {
  /** The service key prefix (the webhooks queue's BullMQ prefix derives from it). */
  keyPrefix: string;
  /** Where the board answers. Default `/admin/queues`. */
  basePath?: string;
}

/**
 * Bull Board (`@bull-board/fastify`) over the `intents` and `webhooks` queues, read-only (no
 * retry, clean, promote or remove), for admin teams only: every request, UI and API alike,
 * needs `Authorization: Bearer <admin team token>` (401 without a token, 403 for a team that
 * is not admin). Job data holds ids and kinds only (intent params, results and secrets stay
 * in the intent record, sealed), so nothing secret can show here.
 */
const queueBoard: FastifyPluginAsync<QueueBoardOptions> = async (fastify, options) => {
  const basePath = options.basePath ?? '/admin/queues';
  const webhooksQueue = createWebhooksQueue(fastify.queueRedis, options.keyPrefix);
  fastify.addHook('onClose', async () => {
    await closeHandshaken(webhooksQueue);
  });
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: [new BullMQAdapter(fastify.intentsQueue, { readOnlyMode: true }), new BullMQAdapter(webhooksQueue, { readOnlyMode: true })],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'neonops queues' } },
  });
  // Encapsulated: the token checks apply to the board's routes only. The board sets its own
  // error handler, so a refusal is answered here, as the problem document the API sends.
  await fastify.register(async (admin) => {
    // The board's own routes stay out of the OpenAPI document.
    admin.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    admin.addHook('onRequest', async (request, reply) => {
      try {
        await admin.authenticate(request);
        if (!request.team.admin) throw new AdminRequiredError('The queue board is for admin teams');
      } catch (error) {
        return sendProblem(request, reply, toApiError(error));
      }
    });
    await admin.register(serverAdapter.registerPlugin(), { prefix: basePath });
  });
};

export default queueBoard;
