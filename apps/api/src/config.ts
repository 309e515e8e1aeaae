import { databaseSchemaSchema, databaseUrlSchema, type PriceTable, usagePricesEnvSchema } from '@neonops/durable-store';
import { neonApiKeyIdsSchema, previousSecretsKeysSchema, redisUrlSchema, secretsKeySchema, weakSecretsKeyReason } from '@neonops/intents';
import { webhookEnvShape, webhookSettingsFromEnv, type WebhookSettings } from '@neonops/webhooks';
import { z } from 'zod';

/** Parses 'true'/'false'/'1'/'0' the way environment variables are written. */
const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();

/**
 * Every setting of the API, read from the environment once by {@link loadConfig}.
 * Nothing else in apps/api reads `process.env`.
 */
export const apiConfigSchema = z
  .object({
    /** `NODE_ENV`; `development` (or `DEV_MODE=true`) relaxes `SECRETS_KEY`. Default `production`. */
    NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
    /** `DEV_MODE`: local runs without a `SECRETS_KEY` (a random one per process). Default `false`. */
    DEV_MODE: booleanFromEnv.default(false),
    /** TCP port to listen on. Default `3000`; `0` picks a free port. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Address to bind. Default `127.0.0.1` (use `0.0.0.0` in a container). */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** Redis for intents, idempotency records and queues. Default `redis://127.0.0.1:6379`. */
    REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key the service writes (BullMQ prefix derives from it). Default `neonops:`. */
    KEY_PREFIX: z.string().min(1).default('neonops:'),
    /** Path of the teams file (YAML or JSON). Default `teams.yaml` (relative to the working directory). */
    TEAMS_FILE: z.string().min(1).default('teams.yaml'),
    /** Shortest interval (`every`) a team schedule may have, in ms. Default `60000` (1 minute, a cron pattern's finest step). */
    SCHEDULE_MIN_EVERY_MS: positiveInt.default(60_000),
    /** How long an idempotency record is kept, in seconds. Default `86400` (24 h). */
    IDEMPOTENCY_TTL_SECONDS: positiveInt.default(86_400),
    /**
     * How long a key stays claimed by a request still being handled, in seconds; a process that
     * died mid-request frees the key after this long. Default `60`.
     */
    IDEMPOTENCY_IN_FLIGHT_TTL_SECONDS: positiveInt.default(60),
    /** How long finished intent records are kept, in seconds. Default `2592000` (30 days). */
    INTENT_RETENTION_SECONDS: positiveInt.default(30 * 86_400),
    /**
     * 32-byte key (base64 or 64 hex chars) that seals secrets of intent results (AES-256-GCM).
     * Required unless `NODE_ENV=development` or `DEV_MODE=true`.
     */
    SECRETS_KEY: secretsKeySchema.optional(),
    /**
     * Retired keys, comma-separated, that still open secrets sealed before a rotation (the
     * worker's re-seal job moves them to `SECRETS_KEY`). Default none.
     */
    SECRETS_KEYS_PREVIOUS: previousSecretsKeysSchema.optional(),
    /**
     * The durable store holding the intent history (written by the workers): intents older
     * than Redis's retention are listed and read from it. `postgres://…` (Neon or any
     * PostgreSQL) or `pglite:<dir>` / `pglite:memory`. Default: none — only Redis is read.
     */
    DATABASE_URL: databaseUrlSchema.optional(),
    /** Schema of the durable store's tables; must match the workers'. Default `public`. */
    DATABASE_SCHEMA: databaseSchemaSchema.default('public'),
    /** The price table of `GET /v1/costs` (JSON, a partial object over the defaults; see @neonops/durable-store `priceTableSchema`); the workers read the same variable. Default: Neon's Launch plan prices. */
    USAGE_PRICES: usagePricesEnvSchema,
    /** Neon API key for read-through routes and `/readyz`. Optional: without it those routes answer 503. */
    NEON_API_KEY: z.string().min(1).optional(),
    /**
     * Id(s) of the Neon API key(s) the service runs on (comma-separated; `GET /api_keys` in
     * Neon's console or API lists them — Neon does not say which key made a call, so it is
     * configured): `api_key.revoke` of one is refused with `403 service_key_protected`. The
     * workers read the same variable and refuse it again. Default none.
     */
    NEON_API_KEY_ID: neonApiKeyIdsSchema,
    /** Neon API base URL. Default `https://console.neon.tech/api/v2` (the simulator: `http://127.0.0.1:PORT/api/v2`). */
    NEON_BASE_URL: z.url().default('https://console.neon.tech/api/v2'),
    /** Largest accepted request body, in bytes. Default `65536` (64 KiB); larger bodies get `413`. */
    BODY_LIMIT: positiveInt.default(64 * 1024),
    /**
     * Longest time a client may take to send a whole request (head and body), in ms; slower
     * ones (slow-loris) are cut off. Default `30000`.
     */
    REQUEST_TIMEOUT_MS: positiveInt.default(30_000),
    /**
     * A connection with no traffic for this long is closed, in ms. Must exceed the longest
     * long-poll (`?wait=`, 60 s; event streams send a heartbeat every 15 s). Default `120000`.
     */
    CONNECTION_TIMEOUT_MS: positiveInt.default(120_000),
    /** pino log level. Default `info`. */
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Event-loop delay in ms past which requests get `503 service_overloaded` (load shedding; `0` off). Default `1000`. */
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
    /** Event-loop utilization (0..1) past which requests get `503 service_overloaded` (`0` off). Default `0.98`. */
    OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0.98),
    /** V8 heap used, in bytes, past which requests get `503 service_overloaded`. Default `0` (off). */
    OVERLOAD_MAX_HEAP_USED_BYTES: z.coerce.number().int().min(0).default(0),
    /** `Retry-After` of that 503, in seconds. Default `5`. */
    OVERLOAD_RETRY_AFTER_SECONDS: positiveInt.default(5),
    /** The Neon account's requests per minute, as the workers' (the read-through routes take from the same shared budget). Default `700`. */
    NEON_RATE_PER_MINUTE: positiveInt.default(700),
    /** Neon's requests per second per route, as the workers'. Default `40`. */
    NEON_RATE_PER_ROUTE_PER_SECOND: positiveInt.default(40),
    /** API requests per minute per team (all its tokens, all replicas) unless the team sets `limits.requestsPerMinute`; beyond: `429 rate_limited`. Default `600`. */
    TEAM_REQUESTS_PER_MINUTE: positiveInt.default(600),
    /** Seconds a client is told to wait (`Retry-After`) when its team is at its intent cap. Default `5`. */
    RATE_LIMIT_RETRY_AFTER_SECONDS: positiveInt.default(5),
    /** Webhook settings (`WEBHOOK_*`, see @neonops/webhooks `webhookEnvShape`): secret overlap, allowlist, schedule. */
    ...webhookEnvShape,
  })
  .superRefine((env, ctx) => {
    const devMode = env.DEV_MODE || env.NODE_ENV === 'development';
    if (env.SECRETS_KEY === undefined && !devMode) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRETS_KEY'],
        message: 'SECRETS_KEY is required (32 bytes, base64 or hex) unless NODE_ENV=development or DEV_MODE=true',
      });
    }
  });

export type ApiEnv = z.infer<typeof apiConfigSchema>;

/** The API's settings in the shape the code uses. */
export interface ApiConfig {
  port: number;
  host: string;
  redisUrl: string;
  keyPrefix: string;
  teamsFile: string;
  /** Shortest `every` of a team schedule (`SCHEDULE_MIN_EVERY_MS`). */
  scheduleMinEveryMs: number;
  idempotencyTtlSeconds: number;
  idempotencyInFlightTtlSeconds: number;
  intentRetentionSeconds: number;
  /** The durable store of the intent history (`DATABASE_URL`, `DATABASE_SCHEMA`); undefined: Redis only. */
  database: { url: string; schema: string } | undefined;
  /** The price table (`USAGE_PRICES`). */
  prices: PriceTable;
  /** The 32-byte key as written (base64 or hex); `undefined` only in dev mode (a random key is then made per process). */
  secretsKey: string | undefined;
  /** Keys that still open old secrets (`SECRETS_KEYS_PREVIOUS`). */
  previousSecretsKeys: string[];
  devMode: boolean;
  /** `serviceKeyIds`: `NEON_API_KEY_ID`. */
  neon: { apiKey: string | undefined; baseUrl: string; serviceKeyIds: number[] };
  bodyLimit: number;
  /** `REQUEST_TIMEOUT_MS` and `CONNECTION_TIMEOUT_MS`. */
  timeouts: { requestMs: number; connectionMs: number };
  logLevel: ApiEnv['LOG_LEVEL'];
  /** Load shedding (`OVERLOAD_*`): limits past which requests get `503 service_overloaded`. */
  overload: { maxEventLoopDelayMs: number; maxEventLoopUtilization: number; maxHeapUsedBytes: number; retryAfterSeconds: number };
  rateLimitRetryAfterSeconds: number;
  /** `NEON_RATE_PER_MINUTE`, `NEON_RATE_PER_ROUTE_PER_SECOND`: the shared Neon budget's limits. */
  neonRate: { perMinute: number; perRoutePerSecond: number };
  /** `TEAM_REQUESTS_PER_MINUTE`. */
  teamRequestsPerMinute: number;
  /** Webhook settings (rotation overlap, URL allowlist, schedule of the first attempt). */
  webhooks: WebhookSettings;
}

/** Thrown when the environment does not describe a valid configuration; names every bad variable. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid API configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the API configuration from `env` (call it with `process.env` in main; never at import time).
 * Empty strings count as unset, the way shells and compose files often pass them.
 */
export function loadConfig(env: Record<string, string | undefined>): ApiConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = apiConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    // The message names the variable, never its value (it may be a secret).
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: i.path.join('.'), message: i.message })));
  }
  const e = parsed.data;
  // Outside local runs (dev mode, or the simulator over plain http://) a known or trivial key protects nothing.
  const local = e.DEV_MODE || e.NODE_ENV === 'development' || new URL(e.NEON_BASE_URL).protocol === 'http:';
  const weak = e.SECRETS_KEY === undefined ? undefined : weakSecretsKeyReason(e.SECRETS_KEY);
  if (weak && !local) {
    throw new ConfigError([
      { variable: 'SECRETS_KEY', message: `${weak}: set your own (openssl rand -base64 32); only local runs (DEV_MODE, NODE_ENV=development or an http:// NEON_BASE_URL) accept it` },
    ]);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    redisUrl: e.REDIS_URL,
    keyPrefix: e.KEY_PREFIX,
    teamsFile: e.TEAMS_FILE,
    scheduleMinEveryMs: e.SCHEDULE_MIN_EVERY_MS,
    idempotencyTtlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
    idempotencyInFlightTtlSeconds: e.IDEMPOTENCY_IN_FLIGHT_TTL_SECONDS,
    intentRetentionSeconds: e.INTENT_RETENTION_SECONDS,
    database: e.DATABASE_URL === undefined ? undefined : { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA },
    prices: e.USAGE_PRICES,
    secretsKey: e.SECRETS_KEY?.trim(),
    previousSecretsKeys: e.SECRETS_KEYS_PREVIOUS ?? [],
    devMode: e.DEV_MODE || e.NODE_ENV === 'development',
    neon: { apiKey: e.NEON_API_KEY, baseUrl: e.NEON_BASE_URL, serviceKeyIds: e.NEON_API_KEY_ID },
    bodyLimit: e.BODY_LIMIT,
    timeouts: { requestMs: e.REQUEST_TIMEOUT_MS, connectionMs: e.CONNECTION_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    overload: {
      maxEventLoopDelayMs: e.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxEventLoopUtilization: e.OVERLOAD_MAX_EVENT_LOOP_UTILIZATION,
      maxHeapUsedBytes: e.OVERLOAD_MAX_HEAP_USED_BYTES,
      retryAfterSeconds: e.OVERLOAD_RETRY_AFTER_SECONDS,
    },
    rateLimitRetryAfterSeconds: e.RATE_LIMIT_RETRY_AFTER_SECONDS,
    teamRequestsPerMinute: e.TEAM_REQUESTS_PER_MINUTE,
    neonRate: { perMinute: e.NEON_RATE_PER_MINUTE, perRoutePerSecond: e.NEON_RATE_PER_ROUTE_PER_SECOND },
    webhooks: webhookSettingsFromEnv(e),
  };
}

/** What the `team:token` command needs from the environment. */
export interface CliConfig {
  /** `TEAMS_FILE` or `teams.yaml`. */
  teamsFile: string;
  /** Where the user ran pnpm (`INIT_CWD`, set by pnpm), so relative paths mean what they typed. */
  baseDir: string | undefined;
}

export function loadCliConfig(env: Record<string, string | undefined>): CliConfig {
  return { teamsFile: env.TEAMS_FILE || 'teams.yaml', baseDir: env.INIT_CWD || undefined };
}

/** The process environment, handed to the loaders above by entry points (the one place it is read). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
