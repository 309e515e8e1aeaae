import { isTerminalStatus } from '@neonops/intents';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IntentView } from '../plugins/app/intents-service.js';
import { commonProblems, intentIdParamsSchema, problem } from './schemas.js';

export interface IntentEventsRoutesOptions {
  /** Interval of the `: keep-alive` comments that keep proxies from closing a quiet stream, ms. Default 15000. */
  heartbeatMs?: number;
}

/** The event id of a state: its `updatedAt` in ms (it only grows), so `Last-Event-ID` tells what a client has seen. */
const eventIdOf = (view: IntentView): number => Date.parse(view.updatedAt);

/** One SSE message; the data is the intent as `GET` shows it, without secrets (a stream is no place for them). */
function message(event: 'progress' | 'end', view: IntentView): string {
  const { secrets: _secrets, ...shown } = view;
  return `id: ${eventIdOf(view)}\nevent: ${event}\ndata: ${JSON.stringify(shown)}\n\n`;
}

/**
 * `GET /v1/intents/:id/events`: the intent's progress as Server-Sent Events. The current state
 * at once (`progress`), then every change of status or steps as it happens, woken by the
 * intent's change notices (no polling), heartbeats meanwhile, and a final `end` with the
 * finished intent, after which the stream closes. `Last-Event-ID` resumes: a state the client
 * has already seen is not sent again.
 */
const intentEventsRoutes: FastifyPluginAsyncZod<IntentEventsRoutesOptions> = async (fastify, options) => {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  fastify.get(
    '/v1/intents/:id/events',
    {
      schema: {
        summary: 'Follow an intent (Server-Sent Events)',
        description:
          'A `text/event-stream`: `event: progress` with the intent (as `GET /v1/intents/:id` shows it, without secrets) at once and after each change, ' +
          '`: keep-alive` comments every 15 s, and a final `event: end` with the finished intent, then the stream closes. ' +
          'Each event has an `id`; send `Last-Event-ID` when reconnecting to skip what was already seen.',
        tags: ['intents'],
        security: [{ bearer: [] }],
        params: intentIdParamsSchema,
        headers: z.object({ 'last-event-id': z.string().max(32).optional() }),
        response: {
          200: z.string().describe('text/event-stream'),
          ...commonProblems,
          404: problem('`intent_not_found`'),
        },
      },
    },
    async (request, reply) => {
      const { team } = request;
      const { id } = request.params;
      const lastSeen = Number(request.headers['last-event-id'] ?? Number.NaN);
      // Registered before the first read, so a change right after it is not missed.
      const follower = fastify.intentWatch.follow(id);
      let view: IntentView;
      try {
        view = await fastify.intents.get(team, id); // 404 and 503 answer as usual, before the stream starts
      } catch (error) {
        follower.close();
        throw error;
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 2000\n\n');
      const gone = new AbortController();
      res.once('close', () => gone.abort());
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), heartbeatMs);
      try {
        let sentId = Number.isFinite(lastSeen) ? lastSeen : -1;
        for (;;) {
          if (isTerminalStatus(view.status)) {
            res.write(message('end', view));
            break;
          }
          if (eventIdOf(view) > sentId) {
            res.write(message('progress', view));
            sentId = eventIdOf(view);
          }
          if ((await follower.next(heartbeatMs * 4, gone.signal)) === 'aborted') break;
          view = await fastify.intents.get(team, id);
        }
      } catch (error) {
        // Headers are sent: the client sees the stream end and reconnects with Last-Event-ID.
        request.log.warn({ err: error, intentId: id }, 'intent event stream ended by an error');
      } finally {
        clearInterval(heartbeat);
        follower.close();
        res.end();
      }
    },
  );
};

export default intentEventsRoutes;
