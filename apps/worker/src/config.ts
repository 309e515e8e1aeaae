import { databaseSchemaSchema, databaseUrlSchema, DEFAULT_RETENTION, type PriceTable, type RetentionPolicy, usagePricesEnvSchema } from '@neonops/durable-store';
import { neonApiKeyIdsSchema, previousSecretsKeysSchema, redisUrlSchema, secretsKeySchema, weakSecretsKeyReason } from '@neonops/intents';
import { webhookEnvShape, webhookSettingsFromEnv, type WebhookSettings } from '@neonops/webhooks';
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/**
 * Every setting of the worker, read from the environment once by {@link loadConfig}.
 * Nothing else in apps/worker reads `process.env`.
 */
export const workerConfigSchema = z.object({
  /** Redis holding the queue, intent records, the rate budget and project locks. Default `redis://127.0.0.1:6379`. */
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key (the BullMQ prefix is `bullPrefix(KEY_PREFIX)`); must match the API's. Default `neonops:`. */
  KEY_PREFIX: z.string().min(1).default('neonops:'),
  /** Neon API key. Required; never logged. */
  NEON_API_KEY: z.string().min(1),
  /** Ids of the Neon API keys the service runs on (as the API's): a schedule's `api_key.revoke` of one is refused at each run. Default none. */
  NEON_API_KEY_ID: neonApiKeyIdsSchema,
  /** Neon API base URL. Default `https://console.neon.tech/api/v2` (simulator: `http://127.0.0.1:PORT/api/v2`). */
  NEON_BASE_URL: z.url().default('https://console.neon.tech/api/v2'),
  /** 32-byte key (base64 or 64 hex characters) sealing result secrets; the API opens them with the same key. Required. */
  SECRETS_KEY: secretsKeySchema,
  /**
   * Retired keys, comma-separated, that still open secrets sealed before a rotation; the
   * re-seal job moves those to `SECRETS_KEY` (drop a key from the list once it has run). Default none.
   */
  SECRETS_KEYS_PREVIOUS: previousSecretsKeysSchema.optional(),
  /** How often the re-seal job runs (besides once at start for each new `SECRETS_KEY`), in ms. Default `3600000` (1 h). */
  SECRETS_RESEAL_INTERVAL_MS: positiveInt.default(3_600_000),
  /** Jobs one worker process runs at once. Waiting on Neon never holds a slot, so this bounds CPU work only. Default `16`. */
  WORKER_CONCURRENCY: positiveInt.default(16),
  /** Neon requests per minute for the whole account, shared by every worker process. Default `700`. */
  NEON_RATE_PER_MINUTE: positiveInt.default(700),
  /** Neon requests per second per route (method + path template), shared. Default `40`. */
  NEON_RATE_PER_ROUTE_PER_SECOND: positiveInt.default(40),
  /** Tries of an intent after retryable errors (423, 429, 5xx, network) before it fails with `retries_exhausted`. Default `8`. */
  INTENT_MAX_ATTEMPTS: positiveInt.default(8),
  /** First retry delay in ms; doubles per retry (with jitter) up to `INTENT_BACKOFF_MAX_MS`. Default `1000`. */
  INTENT_BACKOFF_MS: positiveInt.default(1000),
  /** Largest retry delay in ms. Default `30000`. */
  INTENT_BACKOFF_MAX_MS: positiveInt.default(30_000),
  /** First delay in ms between polls of pending Neon operations; doubles per poll. Default `200`. */
  OPERATION_POLL_MS: positiveInt.default(200),
  /** Largest delay in ms between polls of pending Neon operations. Default `5000`. */
  OPERATION_POLL_MAX_MS: positiveInt.default(5000),
  /**
   * Shortest time in ms an intent waits for its Neon operations to end (from their creation);
   * a batch whose kind is known to take longer gets 4 × its learned duration. Past it the
   * intent fails with `neon_operation_stuck` and frees its project. Default `900000` (15 min).
   */
  OPERATION_DEADLINE_MS: positiveInt.default(900_000),
  /**
   * What a batch of Neon operations is expected to take before one of its kind was seen to its
   * end: `neon` (Neon's typical durations, so the first intent of a kind polls near the end:
   * 2–3 calls, not 5–6) or `none` (the doubling schedule from `OPERATION_POLL_MS`). Default
   * `neon` against Neon's API (`NEON_BASE_URL` unset or `https://console.neon.tech/…`),
   * `none` against any other base URL (a simulator's operations take its own time).
   */
  OPERATION_PRIORS: z.enum(['neon', 'none']).optional(),
  /** TTL in ms of a per-project lock; extended while its intent works, so a dead worker's lock frees itself. Default `30000`. */
  PROJECT_LOCK_TTL_MS: positiveInt.default(30_000),
  /** How long SIGTERM/SIGINT waits for active jobs to finish or checkpoint before closing anyway, in ms. Default `25000`. */
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
  /** BullMQ job lock in ms; a job whose worker died becomes stalled (and is resumed) after about this long. Default `30000`. */
  JOB_LOCK_DURATION_MS: positiveInt.default(30_000),
  /** How often BullMQ looks for stalled jobs, in ms. Default `30000`. */
  STALLED_INTERVAL_MS: positiveInt.default(30_000),
  /**
   * BullMQ lock of a webhook delivery job in ms: a delivery whose dispatcher died is sent
   * again by another after about this long. Default: `JOB_LOCK_DURATION_MS`.
   */
  WEBHOOK_JOB_LOCK_DURATION_MS: positiveInt.optional(),
  /** How often the webhook dispatcher looks for stalled deliveries, in ms. Default: `STALLED_INTERVAL_MS`. */
  WEBHOOK_STALLED_INTERVAL_MS: positiveInt.optional(),
  /**
   * How often the intent sweeper runs (a BullMQ job scheduler: once per deployment), in ms:
   * it queues intents whose submit was cut short, fails with `worker_lost` intents whose job
   * is gone and trims the outbox. Default `15000`.
   */
  SWEEP_INTERVAL_MS: positiveInt.default(15_000),
  /** Age in ms below which the sweeper leaves a queued intent alone (its submit may still be queueing it). Default `10000`. */
  SWEEP_GRACE_MS: nonNegativeInt.default(10_000),
  /** How often the durable store's retention job runs (a BullMQ job scheduler: once per deployment), in ms; needs `DATABASE_URL`. Default `3600000` (1 h). */
  RETENTION_INTERVAL_MS: positiveInt.default(3_600_000),
  /** Days the intent history (and so the audit) keeps an ended intent, counted from its creation; `0`: for ever. Default `400`. */
  HISTORY_RETENTION_DAYS: nonNegativeInt.default(DEFAULT_RETENTION.historyDays),
  /** Days of hourly usage kept (`GET /v1/usage`, budgets, costs); `0`: for ever. Default `400`. */
  USAGE_RETENTION_DAYS: nonNegativeInt.default(DEFAULT_RETENTION.usageDays),
  /** Days the usage collection runs are kept; `0`: for ever. Default `30`. */
  USAGE_RUN_RETENTION_DAYS: nonNegativeInt.default(DEFAULT_RETENTION.collectionRunsDays),
  /** Days a resolved quota finding is kept (open ones always are); `0`: for ever. Default `90`. */
  FINDING_RETENTION_DAYS: nonNegativeInt.default(DEFAULT_RETENTION.resolvedFindingsDays),
  /** How often the budget watch runs (a BullMQ job scheduler: once per deployment), in ms; needs `DATABASE_URL`. Default `300000` (5 min). */
  BUDGET_WATCH_INTERVAL_MS: positiveInt.default(300_000),
  /**
   * The teams file (the API's `TEAMS_FILE`), re-read by the jobs that act for teams (budget
   * enforcement): their rights and projects. Unset: those jobs only report.
   */
  TEAMS_FILE: z.string().min(1).optional(),
  /** How often the quota sweep runs (a BullMQ job scheduler: once per deployment), in ms; needs `DATABASE_URL` and `TEAMS_FILE`. Default `3600000` (1 h). */
  QUOTA_SWEEP_INTERVAL_MS: positiveInt.default(3_600_000),
  /** The plan's branch limit per project, for `branch_limit` findings. Default `5000` (Neon's Launch plan). */
  QUOTA_BRANCH_LIMIT: positiveInt.default(5000),
  /**
   * How often the team schedules' reconcile job runs (once per deployment; also at each
   * start), in ms: it re-creates job schedulers that PostgreSQL has and BullMQ lacks (an API
   * that died between its two writes) and removes those of paused or deleted schedules.
   * Needs `DATABASE_URL`. Default `60000`.
   */
  SCHEDULE_RECONCILE_INTERVAL_MS: positiveInt.default(60_000),
  /** Schedule ticks one worker process runs at once. Default `4`. */
  SCHEDULE_CONCURRENCY: positiveInt.default(4),
  /** Days the runs of team schedules are kept in `schedule_runs`. Default `90`. */
  SCHEDULE_RUN_RETENTION_DAYS: positiveInt.default(90),
  /**
   * How often usage is collected from Neon's consumption history (a BullMQ job scheduler:
   * once per deployment), in ms; needs `DATABASE_URL`. Ignored when `USAGE_COLLECT_CRON` is set. Default `3600000` (hourly).
   */
  USAGE_COLLECT_EVERY_MS: positiveInt.default(3_600_000),
  /** A 5-field cron pattern (UTC) for the usage collection instead of `USAGE_COLLECT_EVERY_MS`, e.g. `5 * * * *`. Default none. */
  USAGE_COLLECT_CRON: z.string().regex(/^\S+( \S+){4}$/, 'a 5-field cron pattern').optional(),
  /** Whole hours before the current one that each collection reads again (late data is corrected), at most 167 (Neon's hourly retention). Default `24`. */
  USAGE_LOOKBACK_HOURS: z.coerce.number().int().min(0).max(167).default(24),
  /**
   * Neon organization id (`org-…`) the consumption routes require. Without it the usage
   * collection does not run against Neon (warned at start); against another base URL (the
   * simulator, which ignores it) it defaults to `org-sim`.
   */
  NEON_ORG_ID: z.string().regex(/^[a-z0-9-]{1,60}$/).optional(),
  /** The price table (JSON, a partial object over the defaults; see @neonops/durable-store `priceTableSchema`); the API reads the same variable. Default: Neon's Launch plan prices. */
  USAGE_PRICES: usagePricesEnvSchema,
  /**
   * An outbox event taken by a worker that died (or whose handling failed) is taken over by
   * another after it was idle this long, in ms. Default `10000`.
   */
  OUTBOX_RECLAIM_IDLE_MS: positiveInt.default(10_000),
  /** Keep completed jobs this many seconds. Default `3600`. */
  JOB_REMOVE_ON_COMPLETE_AGE_SECONDS: nonNegativeInt.default(3600),
  /** Keep at most this many completed jobs. Default `1000`. */
  JOB_REMOVE_ON_COMPLETE_COUNT: nonNegativeInt.default(1000),
  /** Keep failed jobs this many seconds. Default `604800` (7 days). */
  JOB_REMOVE_ON_FAIL_AGE_SECONDS: nonNegativeInt.default(7 * 86_400),
  /** Keep at most this many failed jobs. Default `5000`. */
  JOB_REMOVE_ON_FAIL_COUNT: nonNegativeInt.default(5000),
  /** Seconds a finished intent record (and its sealed secrets) is kept; the API reads the same variable. Default `2592000` (30 days). */
  INTENT_RETENTION_SECONDS: positiveInt.default(30 * 86_400),
  /**
   * The durable store the `history` consumer writes every ended intent to: `postgres://…`
   * (Neon or any PostgreSQL), `pglite:<dir>` (an embedded PGlite in `<dir>`; one process only)
   * or `pglite:memory` (dev: gone at exit). Default: none — no history is written (warned at
   * start); `pnpm start` hands the worker an in-memory PGlite instead.
   */
  DATABASE_URL: databaseUrlSchema.optional(),
  /** Schema of the durable store's tables (created by its migrations); must match the API's. Default `public`. */
  DATABASE_SCHEMA: databaseSchemaSchema.default('public'),
  /**
   * Port of the worker's HTTP listener (`/metrics`, `/healthz`, `/readyz`; no API). `0` picks a
   * free port (logged at start), `off` runs no listener. Default `9464`.
   */
  WORKER_HTTP_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65_535)]).default(9464),
  /** Interface of that listener. Default `0.0.0.0`. */
  WORKER_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * GitHub's REST API base for posting preview results back and the preview sweep
   * (GitHub Enterprise Server: `https://<host>/api/v3`). Default `https://api.github.com`.
   */
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  /** How often the preview sweep runs (a BullMQ job scheduler: once per deployment), in ms. Default `3600000` (1 h). */
  PREVIEW_SWEEP_INTERVAL_MS: positiveInt.default(3_600_000),
  /**
   * `true`: the preview sweep only reports (logs) what it would delete; `false`: it deletes
   * them with `preview.teardown` intents. Default `true` — read a few reports, then turn it on.
   */
  PREVIEW_SWEEP_DRY_RUN: z.enum(['true', 'false']).default('true'),
  /** pino log level. Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Webhook dispatcher settings (`WEBHOOK_*`, see @neonops/webhooks `webhookEnvShape`). */
  ...webhookEnvShape,
});

export type WorkerEnv = z.infer<typeof workerConfigSchema>;

/** The worker's settings in the shape the code uses. */
export interface WorkerConfig {
  redisUrl: string;
  keyPrefix: string;
  /** `serviceKeyIds`: `NEON_API_KEY_ID`. */
  neon: { apiKey: string; baseUrl: string; serviceKeyIds: readonly number[] };
  secretsKey: string;
  /** Keys that still open old secrets (`SECRETS_KEYS_PREVIOUS`). */
  previousSecretsKeys: string[];
  /** How often the re-seal job runs (`SECRETS_RESEAL_INTERVAL_MS`). */
  resealIntervalMs: number;
  concurrency: number;
  rate: { perMinute: number; perRoutePerSecond: number };
  retry: { maxAttempts: number; backoffMs: number; backoffMaxMs: number };
  polling: { initialMs: number; maxMs: number };
  /** Shortest wait on Neon operations before `neon_operation_stuck` (see `OPERATION_DEADLINE_MS`). */
  operationDeadlineMs: number;
  /** Expected batch durations before any was learned (see `OPERATION_PRIORS`). */
  operationPriors: 'neon' | 'none';
  projectLockTtlMs: number;
  shutdownTimeoutMs: number;
  jobLockDurationMs: number;
  stalledIntervalMs: number;
  sweepIntervalMs: number;
  sweepGraceMs: number;
  /** The durable store's retention job (`RETENTION_INTERVAL_MS`, `*_RETENTION_DAYS`). */
  retention: { intervalMs: number; policy: RetentionPolicy };
  /** The budget watch's interval (`BUDGET_WATCH_INTERVAL_MS`). */
  budgetWatchIntervalMs: number;
  /** The teams file (`TEAMS_FILE`); undefined: jobs that act for teams only report. */
  teamsFile: string | undefined;
  /** The quota sweep (`QUOTA_SWEEP_INTERVAL_MS`, `QUOTA_BRANCH_LIMIT`). */
  quotaSweep: { intervalMs: number; branchLimit: number };
  /** Team schedules (`SCHEDULE_RECONCILE_INTERVAL_MS`, `SCHEDULE_CONCURRENCY`, `SCHEDULE_RUN_RETENTION_DAYS`). */
  schedules: { reconcileIntervalMs: number; concurrency: number; runRetentionMs: number };
  /** The usage collection (`USAGE_COLLECT_*`, `USAGE_LOOKBACK_HOURS`, `NEON_ORG_ID`); `orgId` undefined: not run against Neon. */
  usage: { schedule: { every: number } | { pattern: string; tz: 'UTC' }; lookbackHours: number; orgId: string | undefined };
  /** The price table (`USAGE_PRICES`). */
  prices: PriceTable;
  outboxReclaimIdleMs: number;
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
  intentRetentionSeconds: number;
  /** The durable store for the intent history (`DATABASE_URL`, `DATABASE_SCHEMA`); undefined: no history. */
  database: { url: string; schema: string } | undefined;
  logLevel: WorkerEnv['LOG_LEVEL'];
  /** GitHub's API base (`GITHUB_API_URL`). */
  githubApiUrl: string;
  /** The preview sweep (`PREVIEW_SWEEP_INTERVAL_MS`, `PREVIEW_SWEEP_DRY_RUN`). */
  previewSweep: { intervalMs: number; dryRun: boolean };
  /** The `/metrics`, `/healthz`, `/readyz` listener (`WORKER_HTTP_PORT`, `WORKER_HTTP_HOST`); undefined: none. */
  http: { port: number; host: string } | undefined;
  /** Webhook dispatcher settings: timeout, retry schedule, allowlist, disable-after, concurrency. */
  webhooks: WebhookSettings;
  /** Lock and stalled-check timing of the webhook dispatcher (`WEBHOOK_JOB_LOCK_DURATION_MS`, `WEBHOOK_STALLED_INTERVAL_MS`). */
  webhookDispatcher: { lockDurationMs: number; stalledIntervalMs: number };
}

/** The environment does not describe a valid configuration; names every bad variable, never a value. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid worker configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the worker configuration from `env` (main passes `process.env`; never at import
 * time). Empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): WorkerConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = workerConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: i.path.join('.'), message: i.message })));
  }
  const e = parsed.data;
  // Outside local runs (the simulator, reached over plain http://) a known or trivial key protects nothing.
  const weak = weakSecretsKeyReason(e.SECRETS_KEY);
  if (weak && new URL(e.NEON_BASE_URL).protocol !== 'http:') {
    throw new ConfigError([{ variable: 'SECRETS_KEY', message: `${weak}: set your own (openssl rand -base64 32); only local runs against the simulator (http:// NEON_BASE_URL) accept it` }]);
  }
  return {
    redisUrl: e.REDIS_URL,
    keyPrefix: e.KEY_PREFIX,
    neon: { apiKey: e.NEON_API_KEY, baseUrl: e.NEON_BASE_URL, serviceKeyIds: e.NEON_API_KEY_ID },
    secretsKey: e.SECRETS_KEY,
    previousSecretsKeys: e.SECRETS_KEYS_PREVIOUS ?? [],
    resealIntervalMs: e.SECRETS_RESEAL_INTERVAL_MS,
    concurrency: e.WORKER_CONCURRENCY,
    rate: { perMinute: e.NEON_RATE_PER_MINUTE, perRoutePerSecond: e.NEON_RATE_PER_ROUTE_PER_SECOND },
    retry: { maxAttempts: e.INTENT_MAX_ATTEMPTS, backoffMs: e.INTENT_BACKOFF_MS, backoffMaxMs: e.INTENT_BACKOFF_MAX_MS },
    polling: { initialMs: e.OPERATION_POLL_MS, maxMs: e.OPERATION_POLL_MAX_MS },
    operationDeadlineMs: e.OPERATION_DEADLINE_MS,
    operationPriors: e.OPERATION_PRIORS ?? (new URL(e.NEON_BASE_URL).hostname === 'console.neon.tech' ? 'neon' : 'none'),
    projectLockTtlMs: e.PROJECT_LOCK_TTL_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    jobLockDurationMs: e.JOB_LOCK_DURATION_MS,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    sweepIntervalMs: e.SWEEP_INTERVAL_MS,
    sweepGraceMs: e.SWEEP_GRACE_MS,
    retention: {
      intervalMs: e.RETENTION_INTERVAL_MS,
      policy: {
        historyDays: e.HISTORY_RETENTION_DAYS,
        usageDays: e.USAGE_RETENTION_DAYS,
        collectionRunsDays: e.USAGE_RUN_RETENTION_DAYS,
        resolvedFindingsDays: e.FINDING_RETENTION_DAYS,
      },
    },
    budgetWatchIntervalMs: e.BUDGET_WATCH_INTERVAL_MS,
    teamsFile: e.TEAMS_FILE,
    quotaSweep: { intervalMs: e.QUOTA_SWEEP_INTERVAL_MS, branchLimit: e.QUOTA_BRANCH_LIMIT },
    schedules: { reconcileIntervalMs: e.SCHEDULE_RECONCILE_INTERVAL_MS, concurrency: e.SCHEDULE_CONCURRENCY, runRetentionMs: e.SCHEDULE_RUN_RETENTION_DAYS * 86_400_000 },
    usage: {
      schedule: e.USAGE_COLLECT_CRON === undefined ? { every: e.USAGE_COLLECT_EVERY_MS } : { pattern: e.USAGE_COLLECT_CRON, tz: 'UTC' },
      lookbackHours: e.USAGE_LOOKBACK_HOURS,
      orgId: e.NEON_ORG_ID ?? (new URL(e.NEON_BASE_URL).hostname === 'console.neon.tech' ? undefined : 'org-sim'),
    },
    prices: e.USAGE_PRICES,
    outboxReclaimIdleMs: e.OUTBOX_RECLAIM_IDLE_MS,
    removeOnComplete: { age: e.JOB_REMOVE_ON_COMPLETE_AGE_SECONDS, count: e.JOB_REMOVE_ON_COMPLETE_COUNT },
    removeOnFail: { age: e.JOB_REMOVE_ON_FAIL_AGE_SECONDS, count: e.JOB_REMOVE_ON_FAIL_COUNT },
    intentRetentionSeconds: e.INTENT_RETENTION_SECONDS,
    database: e.DATABASE_URL === undefined ? undefined : { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA },
    logLevel: e.LOG_LEVEL,
    githubApiUrl: e.GITHUB_API_URL,
    previewSweep: { intervalMs: e.PREVIEW_SWEEP_INTERVAL_MS, dryRun: e.PREVIEW_SWEEP_DRY_RUN === 'true' },
    http: e.WORKER_HTTP_PORT === 'off' ? undefined : { port: e.WORKER_HTTP_PORT, host: e.WORKER_HTTP_HOST },
    webhooks: webhookSettingsFromEnv(e),
    webhookDispatcher: {
      lockDurationMs: e.WEBHOOK_JOB_LOCK_DURATION_MS ?? e.JOB_LOCK_DURATION_MS,
      stalledIntervalMs: e.WEBHOOK_STALLED_INTERVAL_MS ?? e.STALLED_INTERVAL_MS,
    },
  };
}

/** The process environment, handed to {@link loadConfig} by entry points (the one place it is read). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
