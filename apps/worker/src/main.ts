import { pathToFileURL } from 'node:url';
import { openDatabase, type DurableDatabase } from '@neonops/durable-store';
import { checkMaxmemoryPolicy, closeRedis, createRedis, IntentStore, ProjectOwnership, SecretBox } from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import { combinedTeams, managedTeams, staticTeams, TeamsFileSource, type TeamsSource } from '@neonops/teams';
import { closeWithGrace, createMetricsRegistry, neonRequestId, observeNeonCalls, startTracing } from '@neonops/observability';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { loadConfig, processEnv, type WorkerConfig } from './config.js';
import type { WorkerHooks } from './engine/run-intent.js';
import { SharedOperationTimings } from './engine/shared-operation-timings.js';
import { neonPriorMs } from './engine/operation-priors.js';
import { startWorkerHistory, warnHistoryOff, type WorkerHistory } from './history/index.js';
import { createLogger } from './logger.js';
import { startWorkerMonitoring, type WorkerMonitoring } from './metrics/monitoring.js';
import { combineHooks, WorkerMetrics } from './metrics/worker-metrics.js';
import { ProjectLock } from './project-lock.js';
import { RedisRateBudget } from './rate-budget.js';
import { startMaintenance, type Maintenance } from './maintenance/index.js';
import type { BudgetWatch, BudgetWatchOptions } from './budgets/index.js';
import { startWorkerBudgets } from './budgets/start.js';
import { startWorkerQuota, type WorkerQuota } from './quota/index.js';
import type { UsageCollector } from './usage/index.js';
import { startWorkerUsage } from './usage/start.js';
import { startSchedules, type Schedules, type ScheduleCrashPoint } from './schedules/index.js';
import { startWorkerWebhooks, type WorkerWebhooks } from './webhooks/index.js';
import { startGitHubPostBack } from './github/index.js';
import { startPreviewSweep } from './previews/sweep-scheduler.js';
import { createIntentWorker, type IntentWorker } from './worker.js';

export interface StartWorkerOptions {
  /** Logger. Default: pino at `config.logLevel` to stdout, with redaction. */
  logger?: Logger;
  /** Engine hooks (metrics, tests). */
  hooks?: WorkerHooks;
  /** Called after each webhook delivery an event makes (crash tests). */
  onDelivery?: () => void | Promise<void>;
  /**
   * The durable store for the intent history, owned by the caller (`pnpm start` shares one
   * PGlite between the API and the worker). Default: opened from `config.database` and closed
   * with the worker; without either, no history is written.
   */
  database?: DurableDatabase;
  /** Test hook at named points of a budget watch tick (crash tests). */
  budgetCrashPoints?: BudgetWatchOptions['crashPoints'];
  /**
   * The budget watch's clock (tests: every process of a test measures the same month, even
   * when the test runs across a month's end). Default `() => new Date()`.
   */
  budgetClock?: BudgetWatchOptions['now'];
  /**
   * The teams the worker serves beside those managed through the API's admin routes (Redis,
   * read at each run): schedules, budget enforcement and quota sweeps check their rights at
   * each run, usage is collected for their projects. Default: the teams file (`TEAMS_FILE`,
   * re-read when it changes). A team in neither has its schedule runs refused
   * (`team_not_found`). `pnpm start` passes the teams file's teams and its demo team.
   */
  teams?: TeamsSource;
  /** Test hook at named points of a schedule tick (crash tests). */
  scheduleCrashPoints?: (point: ScheduleCrashPoint) => void;
  /** The process's metrics. Default: new ones on a registry of their own, with Node's process metrics. */
  metrics?: WorkerMetrics;
}

export interface RunningWorker {
  readonly intentWorker: IntentWorker;
  readonly neon: NeonClient;
  readonly rateBudget: RedisRateBudget;
  /** The outbox relay to webhooks, the publisher and the dispatcher. */
  readonly webhooks: WorkerWebhooks;
  /** The deployment's recurring jobs (the intent sweeper). */
  readonly maintenance: Maintenance;
  /** The outbox's `history` consumer writing ended intents to the durable store; undefined without one. */
  readonly history: WorkerHistory | undefined;
  /** The budget watch (a job scheduler); undefined without a durable store. */
  readonly budgets: BudgetWatch | undefined;
  /** The quota sweep (a job scheduler); undefined without a durable store. */
  readonly quota: WorkerQuota | undefined;
  /** The usage collection (a job scheduler); undefined without a durable store or, against Neon, without `NEON_ORG_ID`. */
  readonly usage: UsageCollector | undefined;
  /** Team schedules (their ticks and reconcile job); undefined without a durable store. */
  readonly schedules: Schedules | undefined;
  /** The process's metrics (served at `/metrics` by the monitoring listener). */
  readonly metrics: WorkerMetrics;
  /** The `/metrics` `/healthz` `/readyz` listener (`url` undefined when `WORKER_HTTP_PORT=off`). */
  readonly monitoring: WorkerMonitoring;
  /** Graceful stop within `config.shutdownTimeoutMs`, then closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts one worker process's worth of intent workers from a parsed config: Redis, the
 * shared rate budget and project locks, the Neon client, the intent store and the BullMQ
 * worker. Signals are not touched (see {@link runMain}); the caller decides when to `close`.
 */
export async function startWorker(config: WorkerConfig, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const metrics = options.metrics ?? new WorkerMetrics(createMetricsRegistry());
  const connections: Redis[] = [];
  const connect = (options: { enableAutoPipelining?: boolean } = {}): Redis => {
    const client = createRedis(config.redisUrl, { maxRetriesPerRequest: null, ...options });
    client.on('error', (err) => logger.warn({ err: { message: err.message } }, 'redis connection error'));
    connections.push(client);
    return client;
  };
  // The command connection of every store (intents, rate budget, locks, webhook deliveries and
  // subscriptions) auto-pipelines: the commands of concurrent jobs issued in one tick leave in
  // one socket write. Webhook deliveries: 18 % less CPU and 17 % more per second (bench/README,
  // aim 4). BullMQ's connections (from `connect()`) do not: they gained nothing in the API.
  const redis = connect({ enableAutoPipelining: true });
  // BullMQ's production guidance: a Redis that may evict can drop jobs and records silently.
  void checkMaxmemoryPolicy(redis, logger);
  const rateBudget = new RedisRateBudget(redis, {
    prefix: config.keyPrefix,
    perMinute: config.rate.perMinute,
    perRoutePerSecond: config.rate.perRoutePerSecond,
  });
  const neon = createNeonClient({
    apiKey: config.neon.apiKey,
    baseUrl: config.neon.baseUrl,
    rateBudget,
    // Short in-slot retries for blips; longer waits are job retries that free the slot.
    retry: { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000, maxElapsedMs: 10_000 },
    timeoutMs: 20_000,
    userAgent: '@neonops/worker',
    // Every attempt logged at info with its intent (from the job's log context) and counted.
    hooks: observeNeonCalls({ logger, metrics: metrics.neon }),
    // `<intentId>:<step>:a<attempt>:<n>` inside a job: support finds an intent's calls in Neon's logs.
    generateRequestId: () => neonRequestId(),
  });
  const store = new IntentStore(redis, { prefix: config.keyPrefix, retentionSeconds: config.intentRetentionSeconds });
  const secretBox = new SecretBox(config.secretsKey, config.previousSecretsKeys);
  const webhooks = await startWorkerWebhooks({
    connection: connect,
    redis,
    keyPrefix: config.keyPrefix,
    store,
    secretBox,
    logger,
    settings: config.webhooks,
    dispatcher: config.webhookDispatcher,
    relay: { reclaimIdleMs: config.outboxReclaimIdleMs },
    onAttempt: metrics.onDeliveryAttempt,
    ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
  });
  // Preview results posted back to GitHub (sources with a token), and the sweep of previews whose PR closed unheard.
  const github = await startGitHubPostBack({ connection: connect, redis, keyPrefix: config.keyPrefix, store, secretBox, logger, apiUrl: config.githubApiUrl, consumer: { reclaimIdleMs: config.outboxReclaimIdleMs } });
  const previewSweep = await startPreviewSweep({ connection: connect, redis, keyPrefix: config.keyPrefix, store, secretBox, neon, logger, apiUrl: config.githubApiUrl, ...config.previewSweep });
  const ownDatabase =
    options.database === undefined && config.database
      ? await openDatabase({ ...config.database, onIdleError: (err) => logger.warn({ err: { message: err.message } }, 'database connection error') })
      : undefined;
  const database = options.database ?? ownDatabase;
  const history = database
    ? await startWorkerHistory({ connection: connect, redis, store, database, logger, consumer: { reclaimIdleMs: config.outboxReclaimIdleMs } })
    : undefined;
  if (!history) void warnHistoryOff(redis, store.outboxKey, logger);
  // The teams whose schedules, budgets, quota and usage the worker serves: the teams file
  // (followed as it changes) and the teams the API manages in Redis, read at each run.
  const teams = combinedTeams(options.teams ?? (await teamsSourceOf(config.teamsFile, logger)), managedTeams(redis, config.keyPrefix));
  // Budgets and the usage they are measured against live in the durable store.
  const budgets = database
    ? await startWorkerBudgets({
        connection: connect,
        redis,
        keyPrefix: config.keyPrefix,
        store,
        database,
        neon,
        logger,
        intervalMs: config.budgetWatchIntervalMs,
        prices: config.prices,
        teams,
        ...(options.budgetCrashPoints ? { crashPoints: options.budgetCrashPoints } : {}),
        ...(options.budgetClock ? { now: options.budgetClock } : {}),
      })
    : undefined;
  const quota =
    database
      ? await startWorkerQuota({
          connection: connect,
          redis,
          keyPrefix: config.keyPrefix,
          store,
          database,
          neon,
          logger,
          teams,
          ...config.quotaSweep,
        })
      : undefined;
  // Team schedules: rows in the durable store, ticks from BullMQ job schedulers.
  const schedules = database
    ? await startSchedules({
        connection: connect,
        redis,
        keyPrefix: config.keyPrefix,
        store,
        database,
        teams,
        serviceApiKeyIds: config.neon.serviceKeyIds,
        logger,
        reconcileIntervalMs: config.schedules.reconcileIntervalMs,
        concurrency: config.schedules.concurrency,
        runRetentionMs: config.schedules.runRetentionMs,
        lockDurationMs: config.jobLockDurationMs,
        stalledIntervalMs: config.stalledIntervalMs,
        ...(options.scheduleCrashPoints ? { crashPoints: options.scheduleCrashPoints } : {}),
      })
    : undefined;
  // Usage: Neon's consumption history into the durable store (a job scheduler, hourly by default).
  const usage = database
    ? await startWorkerUsage({ connection: connect, redis, keyPrefix: config.keyPrefix, database, logger, neon: config.neon, rateBudget, usage: config.usage, teams })
    : undefined;
  const maintenance = await startMaintenance({
    connection: connect,
    redis,
    keyPrefix: config.keyPrefix,
    store,
    logger,
    sweepIntervalMs: config.sweepIntervalMs,
    sweepGraceMs: config.sweepGraceMs,
    secretBox,
    resealIntervalMs: config.resealIntervalMs,
    ...(database ? { retention: { database, ...config.retention } } : {}),
  });
  const intentWorker = createIntentWorker({
    connection: connect,
    keyPrefix: config.keyPrefix,
    neon,
    store,
    secretBox,
    projectLock: new ProjectLock(redis, { prefix: config.keyPrefix, ttlMs: config.projectLockTtlMs }),
    ownership: new ProjectOwnership(redis, { prefix: config.keyPrefix }),
    logger,
    // Learned operation durations, shared by every worker on this prefix and across restarts.
    timings: new SharedOperationTimings(redis, { prefix: config.keyPrefix, logger }),
    // Until then, Neon's typical durations (OPERATION_PRIORS).
    ...(config.operationPriors === 'neon' ? { priorMs: neonPriorMs } : {}),
    settings: {
      maxAttempts: config.retry.maxAttempts,
      backoffMs: config.retry.backoffMs,
      backoffMaxMs: config.retry.backoffMaxMs,
      pollInitialMs: config.polling.initialMs,
      pollMaxMs: config.polling.maxMs,
      operationDeadlineMs: config.operationDeadlineMs,
    },
    options: {
      concurrency: config.concurrency,
      lockDurationMs: config.jobLockDurationMs,
      stalledIntervalMs: config.stalledIntervalMs,
      removeOnComplete: config.removeOnComplete,
      removeOnFail: config.removeOnFail,
    },
    hooks: combineHooks(metrics.hooks(), options.hooks),
  });
  await intentWorker.ready();
  let closing: Promise<void> | undefined;
  const monitoring = await startWorkerMonitoring({
    redisUrl: config.redisUrl,
    keyPrefix: config.keyPrefix,
    outboxKey: store.outboxKey,
    metrics,
    rateBudget,
    http: config.http,
    running: () => closing === undefined && intentWorker.worker.isRunning(),
    logger,
  });
  logger.info({ concurrency: config.concurrency, keyPrefix: config.keyPrefix }, 'worker started');

  return {
    intentWorker,
    neon,
    rateBudget,
    webhooks,
    maintenance,
    history,
    budgets,
    quota,
    usage,
    schedules,
    metrics,
    monitoring,
    close() {
      closing ??= (async () => {
        await intentWorker.close(config.shutdownTimeoutMs);
        await Promise.all([webhooks.close(), maintenance.close(), history?.close(), budgets?.close(), quota?.close(), usage?.close(), schedules?.close(), github.close(), previewSweep.close()]);
        await ownDatabase?.close();
        await monitoring.close();
        await Promise.all(connections.map((c) => closeRedis(c)));
        logger.info('worker stopped');
      })();
      return closing;
    },
  };
}

/** The teams file, followed as it changes; without `TEAMS_FILE`, no teams (schedule runs are refused, which their history says). */
async function teamsSourceOf(path: string | undefined, logger: Logger): Promise<TeamsSource> {
  if (path === undefined) return staticTeams([]);
  return TeamsFileSource.load(path, { missingOk: true, onError: (err) => logger.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'teams file unreadable; the previous teams stay in force') });
}

/**
 * Entry point: config from the environment; SIGTERM/SIGINT stop gracefully (exit 0), a second
 * signal or a stop outlasting `SHUTDOWN_TIMEOUT_MS` + 5 s exits 1 at once, an uncaught error
 * closes and exits 1.
 */
export async function runMain(): Promise<void> {
  const config = loadConfig(processEnv());
  const logger = createLogger({ level: config.logLevel });
  // Before any queue or worker exists: OTEL_EXPORTER_OTLP_ENDPOINT set turns tracing on.
  const tracing = startTracing({ serviceName: 'neonops-worker', env: processEnv() });
  const running = await startWorker(config, { logger });
  closeWithGrace({
    close: async () => {
      await running.close();
      await tracing?.shutdown();
    },
    log: logger,
    timeoutMs: config.shutdownTimeoutMs + 5000,
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runMain().catch((err: unknown) => {
    process.stderr.write(`worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
