import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { setTimeout as delay } from 'node:timers/promises';
import type { Simulation } from './core.js';
import { registerControlRoutes } from './control/routes.js';
import { registerBodyParsers } from './http/body-parsers.js';
import './http/context.js';
import { SimHttpError } from './http/errors.js';
import { tickSimulation } from './state/mutations.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerBranchRoutes } from './routes/branches.js';
import { registerConsumptionRoutes } from './routes/consumption.js';
import { registerDatabaseRoutes } from './routes/databases.js';
import { registerEndpointRoutes } from './routes/endpoints.js';
import { registerOperationRoutes } from './routes/operations.js';
import { registerProjectRoutes } from './routes/projects.js';
import { registerRoleRoutes } from './routes/roles.js';
import { registerUserRoutes } from './routes/users.js';

const API_PREFIX = '/api/v2';

export interface BuildAppOptions {
  /** Fastify request logging. Default false. */
  logger?: boolean;
}

/** Fastify's `/projects/:project_id` → the OpenAPI template `/projects/{project_id}`. */
export function toTemplate(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function errorBody(request: FastifyRequest, message: string, code = '') {
  return { code, message, request_id: String(request.id) };
}

/** Drops the connection without an answer (a `reset` or `lost-response` fault). */
function dropConnection(request: FastifyRequest, kind: 'reset' | 'lost-response', sim: Simulation): void {
  if (!request.simDropped) sim.counters.record(request.simRoute, kind);
  request.simDropped = true;
  request.raw.socket.destroy();
}

/**
 * Builds the simulator's Fastify app: Neon's API under `/api/v2` and the control API under
 * `/_sim`. The process around it (listen, close) lives in server.ts.
 */
export function buildSimulatorApp(sim: Simulation, options: BuildAppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    requestIdHeader: 'x-request-id',
    genReqId: () => sim.ids.requestId(),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  });
  registerBodyParsers(app);
  app.decorateRequest('simRoute', '');
  app.decorateRequest('simLoseResponse', false);
  app.decorateRequest('simDropped', false);
  app.decorateRequest('simAccount', undefined);

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', String(request.id));
    return payload;
  });

  app.setErrorHandler((error: FastifyError | SimHttpError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof SimHttpError) {
      void reply.code(error.status).headers(error.headers).send(errorBody(request, error.message, error.code));
      return;
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      void reply.code(status === 415 ? 415 : 400).send(errorBody(request, error.message));
      return;
    }
    request.log.error({ err: error }, 'simulator internal error');
    void reply.code(500).send(errorBody(request, 'internal server error'));
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(request, `route ${request.method} ${request.url.split('?')[0] ?? ''} not found`));
  });

  void app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        request.simRoute = `${request.method} ${toTemplate((request.routeOptions.url ?? request.url).slice(API_PREFIX.length))}`;
        tickSimulation(sim);
        const header = request.headers.authorization ?? '';
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        if (!match?.[1]) throw new SimHttpError(401, 'authentication required');
        const account = sim.authenticate(match[1]);
        if (!account) throw new SimHttpError(401, 'invalid API key');
        account.lastUsedAt = sim.now();
        account.lastUsedFromAddr = request.ip;
        request.simAccount = account;

        const limit = sim.rateLimiter.check(String(account.id), request.simRoute, request.simRoute.includes('/consumption_history/'));
        if (!limit.ok) {
          throw new SimHttpError(429, 'rate limit exceeded', '', { 'retry-after': String(limit.retryAfterSeconds) });
        }

        const fault = sim.faults.decide(request.method, request.simRoute.slice(request.method.length + 1));
        if (fault.latencyMs > 0) await delay(fault.latencyMs);
        switch (fault.outcome.kind) {
          case 'status':
            throw new SimHttpError(fault.outcome.status, `simulated ${fault.outcome.status} (fault injection)`);
          case 'reset':
            dropConnection(request, 'reset', sim);
            reply.hijack();
            return;
          case 'lost-response':
            request.simLoseResponse = true;
            break;
          case 'none':
            break;
        }
      });

      api.addHook('onSend', async (request, _reply, payload) => {
        if (request.simLoseResponse) dropConnection(request, 'lost-response', sim);
        return payload;
      });

      api.addHook('onResponse', async (request, reply) => {
        if (!request.simDropped && request.simRoute) sim.counters.record(request.simRoute, reply.statusCode);
      });

      registerProjectRoutes(api, sim);
      registerBranchRoutes(api, sim);
      registerEndpointRoutes(api, sim);
      registerDatabaseRoutes(api, sim);
      registerRoleRoutes(api, sim);
      registerOperationRoutes(api, sim);
      registerApiKeyRoutes(api, sim);
      registerConsumptionRoutes(api, sim);
      registerUserRoutes(api, sim);
    },
    { prefix: API_PREFIX },
  );

  void app.register(async (control) => registerControlRoutes(control, sim), { prefix: '/_sim' });
  return app;
}
