import { bullPrefix, closeWorker, handshaken, INTENTS_QUEUE, type IntentJobData, type IntentStore, type ResealReport, type SecretBox } from '@neonops/intents';
import { pruneDurableStore, type DurableDatabase, type RetentionPolicy, type RetentionReport } from '@neonops/durable-store';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { runReseal } from './reseal-secrets.js';
import { sweepIntents, type SweepReport } from './sweep-intents.js';

/** The queue of the deployment's own recurring jobs (BullMQ job schedulers). */
export const MAINTENANCE_QUEUE = 'maintenance';
/** The job scheduler id of the intent sweeper. */
export const SWEEPER_SCHEDULER_ID = 'intent-sweeper';
/** The job scheduler id of the secrets re-seal job. */
export const RESEAL_SCHEDULER_ID = 'secrets-reseal';
/** The job scheduler id of the durable store's retention job. */
export const RETENTION_SCHEDULER_ID = 'durable-retention';

export interface MaintenanceDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection. */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  logger: Logger;
  /** How often the intent sweeper runs, in ms. Default 15000. */
  sweepIntervalMs?: number;
  /** Age (ms) below which the sweeper leaves a queued intent alone. Default 10000. */
  sweepGraceMs?: number;
  /** Called after each sweep (tests, metrics). */
  onSweep?: (report: SweepReport) => void;
  /**
   * The service's SecretBox: with it, a re-seal job moves stored secrets sealed with a
   * previous key (`SECRETS_KEYS_PREVIOUS`) to the current one — once at start for each new
   * current key, then every `resealIntervalMs`. Default none: no re-seal job.
   */
  secretBox?: SecretBox;
  /** How often the re-seal job runs, in ms. Default 3600000 (1 h). */
  resealIntervalMs?: number;
  /** Called after each re-seal run (tests, metrics). */
  onReseal?: (report: ResealReport) => void;
  /**
   * With the durable store (`DATABASE_URL`), a retention job deletes what `policy` no longer
   * keeps (see `pruneDurableStore`) every `intervalMs` (default 3600000, 1 h). Default none: no job.
   */
  retention?: { database: DurableDatabase; policy: RetentionPolicy; intervalMs?: number };
}

export interface Maintenance {
  /** Runs a sweep now, outside the schedule (tests, an operator). */
  sweepNow(): Promise<SweepReport>;
  /** Runs the re-seal job now, outside the schedule (tests, an operator); undefined without a SecretBox. */
  resealNow(): Promise<ResealReport | undefined>;
  /** Runs the retention job now, outside the schedule (tests, an operator); undefined without a database. */
  retentionNow(): Promise<RetentionReport | undefined>;
  close(): Promise<void>;
}

/**
 * The deployment's recurring jobs, as BullMQ job schedulers on the `maintenance` queue.
 * Every worker process upserts the same scheduler (idempotent) and runs a worker for the
 * queue, so each tick runs once per deployment whatever the number of processes, and the
 * schedule survives restarts (it lives in Redis).
 */
export async function startMaintenance(deps: MaintenanceDeps): Promise<Maintenance> {
  const prefix = bullPrefix(deps.keyPrefix);
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: deps.connection(), prefix });
  const intents = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: deps.connection(), prefix });
  const sweep = async (): Promise<SweepReport> => {
    const report = await sweepIntents({
      store: deps.store,
      queue: intents,
      redis: deps.redis,
      logger: deps.logger,
      ...(deps.sweepGraceMs === undefined ? {} : { graceMs: deps.sweepGraceMs }),
    });
    deps.onSweep?.(report);
    return report;
  };
  const secretBox = deps.secretBox;
  const reseal = async (): Promise<ResealReport | undefined> => {
    if (!secretBox) return undefined;
    const report = await runReseal({ redis: deps.redis, keyPrefix: deps.keyPrefix, secretBox, logger: deps.logger });
    deps.onReseal?.(report);
    return report;
  };
  if (secretBox) {
    await queue.upsertJobScheduler(
      RESEAL_SCHEDULER_ID,
      { every: deps.resealIntervalMs ?? 3_600_000 },
      { name: 'reseal-secrets', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
    );
    // A new current key is taken up at once, once per deployment (the job id names the key).
    await queue.add(
      'reseal-secrets',
      {},
      { jobId: `reseal-secrets-${secretBox.currentKeyId}`, removeOnComplete: { age: 7 * 86_400 }, removeOnFail: { count: 10 }, attempts: 3, backoff: { type: 'exponential', delay: 5000 } },
    );
  }
  const retention = async (): Promise<RetentionReport | undefined> => {
    if (!deps.retention) return undefined;
    const report = await pruneDurableStore(deps.retention.database, deps.retention.policy);
    if (Object.values(report).some((n) => n > 0)) deps.logger.info({ deleted: report }, 'durable store: rows past their retention deleted');
    return report;
  };
  if (deps.retention) {
    await queue.upsertJobScheduler(
      RETENTION_SCHEDULER_ID,
      { every: deps.retention.intervalMs ?? 3_600_000 },
      { name: 'prune-durable-store', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
    );
  }
  await queue.upsertJobScheduler(
    SWEEPER_SCHEDULER_ID,
    { every: deps.sweepIntervalMs ?? 15_000 },
    { name: 'sweep-intents', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name === 'sweep-intents') return sweep();
      if (job.name === 'reseal-secrets') return reseal();
      if (job.name === 'prune-durable-store') return retention();
      deps.logger.warn({ job: job.name }, 'unknown maintenance job; ignored');
      return undefined;
    },
    { connection: deps.connection(), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.logger.error({ job: job?.name, err: { message: err.message } }, 'maintenance job failed'));
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'maintenance worker error'));
  await handshaken(worker, queue, intents);
  return {
    sweepNow: sweep,
    resealNow: reseal,
    retentionNow: retention,
    async close() {
      await closeWorker(worker);
      await Promise.all([queue.close(), intents.close()]);
    },
  };
}
