import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { PriceTable } from '@neonops/durable-store';
import { intentEventsChannel, type SecretBox } from '@neonops/intents';
import type { WebhookSettings } from '@neonops/webhooks';
import type { JobsOptions } from 'bullmq';
import fp from 'fastify-plugin';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { mapNeonError } from './neon-errors.js';
import authPlugin from './plugins/app/auth.js';
import adminTeamRoutes from './routes/admin-teams.js';
import auditRoutes from './routes/audit.js';
import { registerTeamRateLimit } from './plugins/app/team-rate-limit.js';
import budgetsPlugin from './plugins/app/budgets.js';
import usagePlugin from './plugins/app/usage.js';
import quotaPlugin from './plugins/app/quota.js';
import schedulesPlugin from './plugins/app/schedules.js';
import errorHandlerPlugin from './plugins/app/error-handler.js';
import metricsPlugin from './plugins/app/metrics.js';
import pressurePlugin, { type PressureOptions } from './plugins/app/pressure.js';
import queueBoardPlugin from './plugins/app/queue-board.js';
import type { ApiMetrics } from './metrics/api-metrics.js';
import idempotencyPlugin from './plugins/app/idempotency/index.js';
import intentWatchPlugin from './plugins/app/intent-watch.js';
import intentsServicePlugin, { type IntentsPluginOptions } from './plugins/app/intents-service.js';
import projectScopePlugin from './plugins/app/project-scope.js';
import sourcesPlugin from './plugins/app/sources.js';
import type { FileSources } from './sources/file-sources.js';
import webhooksPlugin from './plugins/app/webhooks.js';
import durableStorePlugin, { type DurableStorePluginOptions } from './plugins/external/durable-store.js';
import neonPlugin, { type NeonPluginOptions } from './plugins/external/neon.js';
import queuePlugin from './plugins/external/queue.js';
import redisPlugin, { type RedisPluginOptions } from './plugins/external/redis.js';
import budgetRoutes from './routes/budgets.js';
import usageRoutes from './routes/usage.js';
import quotaRoutes from './routes/quota.js';
import scheduleRoutes from './routes/schedules.js';
import hookRoutes from './routes/hooks.js';
import healthRoutes, { httpNeonProbe, type HealthRoutesOptions } from './routes/health.js';
import intentEventsRoutes from './routes/intent-events.js';
import intentRoutes from './routes/intents.js';
import previewRoutes from './routes/previews.js';
import projectRoutes from './routes/projects.js';
import sourceRoutes from './routes/sources.js';
import webhookRoutes from './routes/webhooks.js';
import type { TeamDirectory } from './teams/team-directory.js';

/** Everything the app is built from; `main.ts` makes these from config, tests from their fixtures. */
export interface AppOptions {
  /** Redis: a URL the app connects to (and closes), or a client the caller owns. */
  redis: RedisPluginOptions['redis'];
  /** Prefix of every Redis key (the BullMQ prefix derives from it). Default `neonops:`. */
  keyPrefix?: string;
  teams: TeamDirectory;
  /** Seals/opens secrets of results (must be the worker's key). */
  secretBox: SecretBox;
  /** Neon for read-through routes: a client, settings to make one, or undefined (routes answer 503). */
  neon?: NeonPluginOptions['neon'];
  /** The shared Neon rate budget of read-through calls (limits as the workers', longest wait). Default Neon's limits, 2000 ms. */
  neonBudget?: { perMinute?: number; perRoutePerSecond?: number; maxWaitMs?: number };
  /** How long read-through answers (`GET /v1/projects…`) are reused from Redis, ms (`0`: off). Default 3000. */
  readCacheTtlMs?: number;
  /** Requests per minute of a team without `limits.requestsPerMinute` (`TEAM_REQUESTS_PER_MINUTE`). Default 600. */
  teamRequestsPerMinute?: number;
  /** How often each process looks for teams and tokens changed through the admin routes, ms. Default 1000. */
  teamsRefreshMs?: number;
  /** Ids of the Neon API keys the service runs on (`NEON_API_KEY_ID`): `api_key.revoke` of one is refused. Default none. */
  serviceApiKeyIds?: readonly number[];
  /** Neon base URL that `/readyz` probes; default: the one in `neon` settings, else readiness skips Neon. */
  neonBaseUrl?: string;
  /** Overrides the `/readyz` Neon probe (tests). */
  probeNeon?: HealthRoutesOptions['probeNeon'];
  /** Idempotency record lifetime in seconds. Default 86400. */
  idempotencyTtlSeconds?: number;
  /** How long an in-flight idempotency claim lasts, in seconds. Default 60. */
  idempotencyInFlightTtlSeconds?: number;
  /**
   * The durable intent history (PostgreSQL or PGlite): settings to open it, an open database
   * the caller owns, or undefined (Redis only). Default undefined.
   */
  database?: DurableStorePluginOptions['database'];
  /** The price table of `GET /v1/costs` (`USAGE_PRICES`). Default `DEFAULT_PRICES` (Neon's Launch plan). */
  prices?: PriceTable;
  /** Retention of finished intents in seconds. Default 30 days. */
  intentRetentionSeconds?: number;
  /** `Retry-After` for a team at its cap. Default 5 s. */
  capRetryAfterSeconds?: number;
  /** Default options of intent jobs. Default `defaultIntentJobOptions`. */
  jobOptions?: JobsOptions;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Shortest `every` of a team schedule, in ms (`SCHEDULE_MIN_EVERY_MS`). Default 60000. */
  scheduleMinEveryMs?: number;
  /** Sources written in the teams file (secrets read from the environment), stored at start. Default none. */
  fileSources?: FileSources;
  /** Webhook settings (secret overlap, URL allowlist, first delay). Default `DEFAULT_WEBHOOK_SETTINGS`. */
  webhooks?: Partial<WebhookSettings>;
  /** Largest hook delivery (`/v1/hooks/…`) in bytes. Default 1 MiB. */
  hookBodyLimit?: number;
  /** Interval of the SSE streams' keep-alive comments, ms. Default 15000. */
  sseHeartbeatMs?: number;
  /** Test hook at named points of the submit path (crash tests kill the process there). Default none. */
  crashPoints?: IntentsPluginOptions['crashPoints'];
  /**
   * The metrics `/metrics` serves. Default: new ones on a registry of their own, without Node's
   * process metrics (`createServer` adds those). `false`: no metrics and no `/metrics` (the
   * bench measures their cost this way).
   */
  metrics?: ApiMetrics | false;
  /** Load shedding (`@fastify/under-pressure`): its limits, or `false`. Default `false` (`createServer` turns it on from `OVERLOAD_*`). */
  pressure?: PressureOptions | false;
  /** How long `/healthz` reuses a Neon probe's answer, in ms. Default 10000. */
  neonProbeIntervalMs?: number;
  /** Bull Board at `/admin/queues` (read-only, admin team tokens only). Default true. */
  queueBoard?: boolean;
}

/**
 * The API as a Fastify plugin, in three tiers: external resources (Redis, queue, Neon, the durable store),
 * app services (errors, auth, project scope, idempotency, intents), then routes.
 */
export const app: FastifyPluginAsync<AppOptions> = async (fastify, options) => {
  const keyPrefix = options.keyPrefix ?? 'neonops:';
  const now = options.now ?? (() => new Date());

  // The errors plugin first, so that every later failure is a problem document.
  await fastify.register(errorHandlerPlugin, { mapError: mapNeonError });
  // Metrics next, so that every answer is counted; then load shedding, before any work is done.
  if (options.metrics !== false) await fastify.register(metricsPlugin, { metrics: options.metrics });
  const metrics = options.metrics === false ? undefined : fastify.metrics;
  if (options.pressure) {
    await fastify.register(pressurePlugin, { ...options.pressure, onOverloaded: (reason) => metrics?.overloaded.inc({ reason }) });
  }

  await fastify.register(redisPlugin, { redis: options.redis });
  await fastify.register(queuePlugin, { keyPrefix, ...(options.jobOptions ? { jobOptions: options.jobOptions } : {}) });
  await fastify.register(neonPlugin, { neon: options.neon, budget: { keyPrefix, ...options.neonBudget } });
  await fastify.register(durableStorePlugin, { database: options.database });

  await fastify.register(authPlugin, { teams: options.teams, keyPrefix, now, ...(options.teamsRefreshMs === undefined ? {} : { teamsRefreshMs: options.teamsRefreshMs }) });
  await fastify.register(projectScopePlugin, { keyPrefix, serviceApiKeyIds: options.serviceApiKeyIds ?? [] });
  await fastify.register(idempotencyPlugin, {
    keyPrefix,
    ttlSeconds: options.idempotencyTtlSeconds ?? 86_400,
    ...(options.idempotencyInFlightTtlSeconds === undefined ? {} : { inFlightTtlSeconds: options.idempotencyInFlightTtlSeconds }),
  });
  await fastify.register(intentWatchPlugin, { channel: intentEventsChannel(keyPrefix) });
  await fastify.register(intentsServicePlugin, {
    keyPrefix,
    retentionSeconds: options.intentRetentionSeconds ?? 30 * 86_400,
    capRetryAfterSeconds: options.capRetryAfterSeconds ?? 5,
    secretBox: options.secretBox,
    now,
    ...(options.crashPoints ? { crashPoints: options.crashPoints } : {}),
  });
  await fastify.register(sourcesPlugin, { keyPrefix, secretBox: options.secretBox, now, ...(options.fileSources ? { fileSources: options.fileSources } : {}) });
  await fastify.register(budgetsPlugin, { keyPrefix, now, ...(options.prices ? { prices: options.prices } : {}) });
  await fastify.register(usagePlugin, { now, ...(options.prices ? { prices: options.prices } : {}) });
  await fastify.register(quotaPlugin, { now });
  await fastify.register(schedulesPlugin, { keyPrefix, now, ...(options.scheduleMinEveryMs === undefined ? {} : { minEveryMs: options.scheduleMinEveryMs }) });
  await fastify.register(webhooksPlugin, { keyPrefix, secretBox: options.secretBox, now, ...(options.webhooks ? { settings: options.webhooks } : {}) });

  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'neonops API',
        version: '0.1.0',
        description: 'Submit Neon intents and follow them. Authenticate with `Authorization: Bearer <team token>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  fastify.get('/openapi.json', { schema: { hide: true } }, async () => fastify.swagger());

  const neonBaseUrl =
    options.neonBaseUrl ?? (options.neon && 'baseUrl' in options.neon && typeof options.neon.baseUrl === 'string' ? options.neon.baseUrl : undefined);
  const probeNeon =
    options.probeNeon ?? (neonBaseUrl ? httpNeonProbe(neonBaseUrl) : async () => ({ ok: true, detail: 'no Neon configured; not checked' }));
  await fastify.register(healthRoutes, {
    probeNeon,
    onNeonProbed: (reachable) => metrics?.neon.up.set(reachable ? 1 : 0),
    ...(options.neonProbeIntervalMs === undefined ? {} : { neonProbeIntervalMs: options.neonProbeIntervalMs }),
  });

  if (options.queueBoard !== false) await fastify.register(queueBoardPlugin, { keyPrefix });

  // Hook deliveries: signed with a source's secret, no bearer token.
  await fastify.register(hookRoutes, options.hookBodyLimit === undefined ? {} : { bodyLimit: options.hookBodyLimit });

  // Team routes: every one needs a bearer token.
  await fastify.register(async (v1) => {
    v1.addHook('onRequest', v1.authenticate);
    await registerTeamRateLimit(v1, { keyPrefix, ...(options.teamRequestsPerMinute === undefined ? {} : { defaultPerMinute: options.teamRequestsPerMinute }) });
    await v1.register(intentRoutes);
    await v1.register(adminTeamRoutes);
    await v1.register(auditRoutes);
    await v1.register(intentEventsRoutes, options.sseHeartbeatMs === undefined ? {} : { heartbeatMs: options.sseHeartbeatMs });
    await v1.register(projectRoutes, { keyPrefix, ...(options.readCacheTtlMs === undefined ? {} : { cacheTtlMs: options.readCacheTtlMs }) });
    await v1.register(webhookRoutes);
    await v1.register(sourceRoutes);
    await v1.register(previewRoutes);
    await v1.register(budgetRoutes);
    await v1.register(usageRoutes);
    await v1.register(quotaRoutes);
    await v1.register(scheduleRoutes);
  });
};

export interface BuildAppOptions extends AppOptions {
  /** pino logger; default: none (silent). */
  logger?: Logger;
  /** Largest body in bytes (413 beyond). Default 65536. */
  bodyLimit?: number;
  /**
   * Longest time a client may take to send a whole request, in ms (Node's `requestTimeout`,
   * checked every quarter of it, at most every 30 s). Default 30000.
   */
  requestTimeoutMs?: number;
  /** A connection without traffic this long is closed, in ms (above the 60 s long-polls). Default 120000. */
  connectionTimeoutMs?: number;
}

/** A ready-to-use Fastify instance with the API registered (not listening). */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { logger, bodyLimit, requestTimeoutMs = 30_000, connectionTimeoutMs = 120_000, ...appOptions } = options;
  const fastify = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    bodyLimit: bodyLimit ?? 64 * 1024,
    // Slow-loris clients do not hold connections for ever (Fastify's default is no limit).
    requestTimeout: requestTimeoutMs,
    connectionTimeout: connectionTimeoutMs,
    // Ids from a proxy are welcome; they tie our logs to the caller's.
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
  }).withTypeProvider<ZodTypeProvider>();
  // Node looks for requests past their timeout on an interval (30 s by default), read when it listens.
  Object.assign(fastify.server, { connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 4))) });
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  // fastify-plugin: the app's decorators (redis, queue, …) are visible on the returned instance.
  await fastify.register(fp(app, { name: 'neonops-api' }), appOptions);
  await fastify.ready();
  return fastify as unknown as FastifyInstance;
}
