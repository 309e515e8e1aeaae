import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import { IdempotencyKeyMismatchError, IdempotencyRequestInFlightError, ValidationError } from '../../../errors.js';
import { idempotencyRedisKey, requestFingerprint } from './fingerprint.js';
import { IdempotencyStore, type BeginOutcome, type IdempotencyLease } from './store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route honours `Idempotency-Key` (needs an authenticated team). `true`: this plugin
     * claims the key before the handler and stores the answer after it. `'atomic'`: the
     * handler claims the key in the same atomic step as its write (`request.idempotencyClaim`,
     * then `answerHeldKey` when the key already held a value): one round trip, no in-flight
     * record, and a crash can never part the write from its answer.
     */
    idempotent?: boolean | 'atomic';
  }
  interface FastifyRequest {
    /** Set while this request holds an idempotency key. */
    idempotencyLease: IdempotencyLease | null;
    /** The client's key, as sent (unquoted). */
    idempotencyKey: string | null;
    /** On an `'atomic'` route with a key: what its handler claims. */
    idempotencyClaim: IdempotencyClaim | null;
  }
  interface FastifyInstance {
    idempotencyStore: IdempotencyStore;
  }
}

export interface IdempotencyPluginOptions {
  keyPrefix: string;
  /** How long a stored response is kept, in seconds. Default 86400 (24 h). */
  ttlSeconds: number;
  /**
   * Lease of an in-flight claim, in seconds: how long a key stays locked (409) when its
   * process dies before answering. Default 60.
   */
  inFlightTtlSeconds?: number;
}

/** The key an `'atomic'` route claims in its own write: its Redis key and the request's fingerprint. */
export interface IdempotencyClaim {
  redisKey: string;
  fingerprint: string;
}

/**
 * Answers a request whose key already held a value: the stored answer (`Idempotent-Replayed:
 * true`), or 422 for another body, or 409 while the first is in flight — as the hook does
 * for `idempotent: true` routes, counted the same way.
 */
export function answerHeldKey(fastify: FastifyInstance, reply: FastifyReply, outcome: Exclude<BeginOutcome, { kind: 'started' }>): FastifyReply {
  switch (outcome.kind) {
    case 'mismatch':
      if (fastify.hasDecorator('metrics')) fastify.metrics.idempotencyConflicts.inc({ reason: 'mismatch' });
      throw new IdempotencyKeyMismatchError('Use a new Idempotency-Key for a different request');
    case 'in_flight':
      if (fastify.hasDecorator('metrics')) fastify.metrics.idempotencyConflicts.inc({ reason: 'in_flight' });
      throw new IdempotencyRequestInFlightError();
    case 'completed': {
      const { response } = outcome;
      if (fastify.hasDecorator('metrics')) fastify.metrics.idempotencyReplays.inc();
      reply.code(response.status).headers(response.headers).header('idempotent-replayed', 'true');
      return reply.send(response.body);
    }
  }
}

/** Headers replayed with a stored response. */
const REPLAYED_HEADERS = ['content-type', 'location'];

/** The key as sent: a bare token, or an RFC 8941 sf-string (`"…"`) as the IETF draft writes it. */
export function parseIdempotencyKey(raw: string): string {
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(raw.trim());
  const key = quoted?.[1] !== undefined ? quoted[1].replace(/\\(.)/g, '$1') : raw.trim();
  if (key.length < 1 || key.length > 255) {
    throw new ValidationError([{ in: 'headers', path: 'idempotency-key', message: 'must be 1–255 characters' }]);
  }
  return key;
}

/**
 * `Idempotency-Key` for routes with `config.idempotent`. Runs after authentication and
 * validation (preHandler), so an invalid request never takes a key:
 * - a new key: an in-flight record is written, the handler runs; a 2xx answer is stored
 *   (status, body, Location) for the TTL, anything else releases the key;
 * - the same key and body again: the stored answer with `Idempotent-Replayed: true`;
 * - the same key with another body: 422 `idempotency_key_mismatch`;
 * - the same key while the first is still being handled: 409 `idempotency_request_in_flight`.
 */
export default fp<IdempotencyPluginOptions>(
  async (fastify, options) => {
    const store = new IdempotencyStore(fastify.redis, {
      ttlSeconds: options.ttlSeconds,
      ...(options.inFlightTtlSeconds === undefined ? {} : { inFlightTtlSeconds: options.inFlightTtlSeconds }),
    });
    fastify.decorate('idempotencyStore', store);
    fastify.decorateRequest('idempotencyLease', null);
    fastify.decorateRequest('idempotencyKey', null);
    fastify.decorateRequest('idempotencyClaim', null);

    fastify.addHook('preHandler', async (request, reply) => {
      const mode = request.routeOptions.config.idempotent;
      if (!mode) return;
      const raw = request.headers['idempotency-key'];
      if (raw === undefined) return;
      const key = parseIdempotencyKey(Array.isArray(raw) ? raw.join(',') : raw);
      request.idempotencyKey = key;
      const path = request.url.split('?')[0] ?? request.url;
      const redisKey = idempotencyRedisKey(options.keyPrefix, request.team.id, key);
      const fingerprint = requestFingerprint(request.method, path, request.body);
      if (mode === 'atomic') {
        // The handler claims the key in its own write (no round trip here).
        request.idempotencyClaim = { redisKey, fingerprint };
        return;
      }
      const outcome = await store.begin(redisKey, fingerprint);
      if (outcome.kind === 'started') {
        request.idempotencyLease = outcome.lease;
        return;
      }
      return answerHeldKey(fastify, reply, outcome);
    });

    fastify.addHook('onSend', async (request, reply, payload) => {
      const lease = request.idempotencyLease;
      if (!lease) return payload;
      request.idempotencyLease = null;
      if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
        const headers: Record<string, string> = {};
        for (const name of REPLAYED_HEADERS) {
          const value = reply.getHeader(name);
          if (value !== undefined) headers[name] = String(value);
        }
        try {
          await store.complete(lease, { status: reply.statusCode, headers, body: payload });
        } catch (error) {
          // The intent exists; the in-flight record stays until its short lease ends, so a
          // retry meanwhile gets 409 (after the lease a retry would make a second intent).
          request.log.error({ err: error }, 'could not store the idempotent response');
        }
        return payload;
      }
      try {
        await store.release(lease);
      } catch (error) {
        request.log.warn({ err: error }, 'could not release the idempotency key');
      }
      return payload;
    });
  },
  { name: 'idempotency', dependencies: ['redis', 'auth'] },
);
