import type { DurableDatabase } from '@neonops/durable-store';
import { SecretBox } from '@neonops/intents';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createMetricsRegistry } from '@neonops/observability';
import { buildApp, type AppOptions } from './app.js';
import { ApiMetrics } from './metrics/api-metrics.js';
import { processEnv, type ApiConfig } from './config.js';
import { createLogger } from './logger.js';
import { TeamDirectory } from './teams/team-directory.js';
import { loadTeamsFile, loadTeamsFileOrEmpty } from './teams/teams-file.js';
import { resolveFileSources, type FileSources } from './sources/file-sources.js';

export interface CreateServerOverrides {
  /** Teams to use instead of reading `config.teamsFile` (e.g. a demo team made by `pnpm start`). */
  teams?: TeamDirectory;
  /** Logger; default: pino at `config.logLevel` on stdout. */
  logger?: Logger;
  /** Test hook at named points of the submit path. Default none. */
  crashPoints?: AppOptions['crashPoints'];
  /** An open durable store to read the intent history from (the caller closes it), instead of `config.database`. */
  database?: DurableDatabase;
  /** Where the teams file's sources find their secrets (`secretEnv`, `githubTokenEnv`). Default the process environment. */
  env?: Record<string, string | undefined>;
}

/**
 * Builds the API from configuration: reads the teams file, makes the secret box, the
 * logger and the Neon settings, and hands them to `buildApp`. Does not listen.
 */
export async function createServer(config: ApiConfig, overrides: CreateServerOverrides = {}): Promise<FastifyInstance> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  let secretsKey = config.secretsKey;
  if (secretsKey === undefined) {
    // Dev mode only (config refuses it otherwise): secrets sealed now cannot be opened after a restart.
    logger.warn('SECRETS_KEY is not set: using a random key for this process (dev mode)');
    secretsKey = SecretBox.generateKey();
  }
  let teams = overrides.teams;
  let fileSources: FileSources | undefined;
  if (!teams) {
    const file = config.devMode ? await loadTeamsFileOrEmpty(config.teamsFile) : await loadTeamsFile(config.teamsFile);
    if (file.teams.length === 0) logger.warn({ teamsFile: config.teamsFile }, 'no teams configured: every request will get 401');
    teams = new TeamDirectory(file.teams);
    fileSources = resolveFileSources(file.teams, overrides.env ?? processEnv(), config.teamsFile);
  }
  return buildApp({
    redis: { url: config.redisUrl },
    keyPrefix: config.keyPrefix,
    teams,
    ...(fileSources ? { fileSources } : {}),
    secretBox: new SecretBox(secretsKey, config.previousSecretsKeys),
    neon: config.neon.apiKey ? { apiKey: config.neon.apiKey, baseUrl: config.neon.baseUrl } : undefined,
    ...(config.neon.apiKey ? { neonBaseUrl: config.neon.baseUrl } : {}),
    serviceApiKeyIds: config.neon.serviceKeyIds,
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    idempotencyInFlightTtlSeconds: config.idempotencyInFlightTtlSeconds,
    intentRetentionSeconds: config.intentRetentionSeconds,
    prices: config.prices,
    scheduleMinEveryMs: config.scheduleMinEveryMs,
    ...(overrides.database ? { database: { database: overrides.database } } : config.database ? { database: config.database } : {}),
    capRetryAfterSeconds: config.rateLimitRetryAfterSeconds,
    teamRequestsPerMinute: config.teamRequestsPerMinute,
    neonBudget: config.neonRate,
    webhooks: config.webhooks,
    logger,
    // A process's metrics, with Node's own (event loop, heap, GC) for the dashboard.
    metrics: new ApiMetrics(createMetricsRegistry()),
    pressure: config.overload,
    bodyLimit: config.bodyLimit,
    requestTimeoutMs: config.timeouts.requestMs,
    connectionTimeoutMs: config.timeouts.connectionMs,
    ...(overrides.crashPoints ? { crashPoints: overrides.crashPoints } : {}),
  });
}
