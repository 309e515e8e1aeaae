/**
 * The peer route of issue #14, aim 3: bare Fastify on its own Redis connection that parses the
 * same body with the same zod schema (`intentRequestSchema`) and calls `queue.add` with the
 * same job options as ours — no auth, idempotency, intent record, rate limit or metrics. What
 * any such route costs; `POST /v1/intents` is measured beside it.
 */
import { bullPrefix, intentJobOptions, intentRequestSchema, INTENTS_QUEUE, newIntentId } from '@neonops/intents';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

export interface PeerRoute {
  /** `http://127.0.0.1:<port>/v1/intents` */
  url: string;
  close(): Promise<void>;
}

/** Starts the peer route on a free loopback port, its queue under `keyPrefix`. */
export async function startPeerRoute(redisUrl: string, keyPrefix: string): Promise<PeerRoute> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false });
  const queue = new Queue(INTENTS_QUEUE, { connection, prefix: bullPrefix(keyPrefix) });
  const peer = Fastify();
  peer.post('/v1/intents', async (request, reply) => {
    const body = intentRequestSchema.parse(request.body);
    const id = newIntentId(new Date());
    // The job options ours adds with (attempts, backoff), so the two add the same job.
    await queue.add(body.kind, { intentId: id, teamId: 'bench', kind: body.kind }, { ...intentJobOptions, jobId: id });
    return reply.code(202).send({ id, kind: body.kind, status: 'queued' });
  });
  await queue.waitUntilReady();
  await peer.listen({ port: 0, host: '127.0.0.1' });
  const address = peer.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1/intents`,
    async close() {
      await peer.close();
      await queue.close();
      await connection.quit();
    },
  };
}
