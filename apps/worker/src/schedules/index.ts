import { ScheduleStore, type DurableDatabase } from '@neonops/durable-store';
import {
  bullPrefix,
  closeWorker,
  handshaken,
  IntentRights,
  INTENTS_QUEUE,
  IntentSubmitter,
  SCHEDULE_TICK_JOB,
  SCHEDULES_QUEUE,
  SCHEDULES_RECONCILE_ID,
  scheduleTickDataSchema,
  type IntentJobData,
  type IntentStore,
} from '@neonops/intents';
import type { TeamsSource } from '@neonops/teams';
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { reconcileSchedulers, type ReconcileReport } from './reconcile.js';
import { runTick, type ScheduleCrashPoint, type TickOutcome } from './run-tick.js';
import { ScheduleLease } from './schedule-lease.js';

export { tickDedupeKey, type ScheduleCrashPoint, type TickOutcome } from './run-tick.js';
export type { ReconcileReport } from './reconcile.js';

export interface SchedulesDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection (rights: project ownership). */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  database: DurableDatabase;
  /** The teams as they are now (the teams file, re-read when it changes): rights are checked at each run. */
  teams: TeamsSource;
  /** Ids of the Neon API keys the service runs on (`NEON_API_KEY_ID`): a run revoking one is refused. Default none. */
  serviceApiKeyIds?: readonly number[];
  logger: Logger;
  /** How often the reconcile job runs (once per deployment), in ms. Default 60000. */
  reconcileIntervalMs?: number;
  /** Ticks one process runs at once. Default 4. */
  concurrency?: number;
  /** BullMQ lock of a tick job, in ms: a tick whose worker died is run by another after about this long. Default 30000. */
  lockDurationMs?: number;
  /** How often BullMQ looks for stalled ticks, in ms. Default 30000. */
  stalledIntervalMs?: number;
  /** How long runs are kept in `schedule_runs`, in ms. Default 90 days. */
  runRetentionMs?: number;
  /** How long a tick's dedupe key lives in Redis, in ms. Default 7 days (longer than every retry of a tick). */
  dedupeTtlMs?: number;
  /** Called after each tick (tests, metrics). */
  onTick?: (outcome: TickOutcome, job: { scheduleId: string; tickAt: Date }) => void;
  /** Test hook at named points of a tick. */
  crashPoints?: (point: ScheduleCrashPoint) => void;
}

export interface Schedules {
  /** Runs the reconcile job now, outside its schedule (tests, an operator). */
  reconcileNow(): Promise<ReconcileReport>;
  close(): Promise<void>;
}

/** The tick time of a job scheduler's job: its `prevMillis` (the scheduled time), which its id also names. */
export function tickTimeOf(job: Pick<Job, 'id' | 'opts' | 'timestamp'>): Date {
  const fromId = Number(job.id?.split(':').pop());
  return new Date(job.opts.prevMillis ?? (Number.isFinite(fromId) ? fromId : job.timestamp));
}

/**
 * Team schedules in the worker: a BullMQ worker on the `schedules` queue, whose job
 * schedulers (one per schedule, written by the API and by the reconcile job) make one tick
 * job per run time — so each tick runs once per deployment, whatever the number of worker
 * processes, and schedules survive restarts. Each tick submits the schedule's intent (see
 * `runTick`); the `reconcile` job scheduler keeps BullMQ in step with PostgreSQL.
 *
 * Missed ticks: BullMQ keeps one pending job per scheduler and computes the next run from
 * the time the current one starts, so after a downtime the pending tick runs once and the
 * next is the first one in the future — never one run per missed tick.
 */
export async function startSchedules(deps: SchedulesDeps): Promise<Schedules> {
  const prefix = bullPrefix(deps.keyPrefix);
  const schedules = new ScheduleStore(deps.database);
  const queue = new Queue(SCHEDULES_QUEUE, { connection: deps.connection(), prefix });
  const intentsQueue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: deps.connection(), prefix });
  // IntentRights reads the other teams synchronously; each tick refreshes this list before judging.
  let teamsNow = await deps.teams.list();
  const serviceApiKeyIds = deps.serviceApiKeyIds ?? [];
  const rights = new IntentRights(deps.redis, { prefix: deps.keyPrefix, allTeams: () => teamsNow, serviceApiKeyIds: () => serviceApiKeyIds });
  const teams: TeamsSource = {
    list: async () => (teamsNow = await deps.teams.list()),
  };
  const submitter = new IntentSubmitter({
    store: deps.store,
    queue: intentsQueue,
    onEnqueueFailed: (error, intentId) =>
      deps.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) }, intentId }, 'could not queue a scheduled intent now; the sweeper will'),
  });
  const tickDeps = {
    schedules,
    intents: deps.store,
    submitter,
    rights,
    teams,
    logger: deps.logger,
    dedupeTtlMs: deps.dedupeTtlMs ?? 7 * 86_400_000,
    ...(deps.crashPoints ? { crashPoints: deps.crashPoints } : {}),
  };
  const lease = new ScheduleLease(deps.redis, { prefix: deps.keyPrefix, ttlMs: deps.lockDurationMs ?? 30_000 });
  const reconcile = () => reconcileSchedulers({ schedules, queue, logger: deps.logger, runRetentionMs: deps.runRetentionMs ?? 90 * 86_400_000 });

  await queue.upsertJobScheduler(
    SCHEDULES_RECONCILE_ID,
    { every: deps.reconcileIntervalMs ?? 60_000 },
    { name: SCHEDULES_RECONCILE_ID, opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(
    SCHEDULES_QUEUE,
    async (job, token) => {
      if (job.name === SCHEDULES_RECONCILE_ID) return reconcile();
      if (job.name !== SCHEDULE_TICK_JOB) {
        deps.logger.warn({ job: job.name }, 'unknown schedules job; ignored');
        return undefined;
      }
      const data = scheduleTickDataSchema.parse(job.data);
      const tickAt = tickTimeOf(job);
      // One tick of a schedule at a time (the skip check must see the previous tick's intent).
      const held = await lease.acquire(data.scheduleId);
      if (held === undefined) {
        await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 100), token);
        throw new DelayedError();
      }
      let outcome: TickOutcome;
      try {
        outcome = await runTick(tickDeps, data.scheduleId, tickAt);
      } finally {
        await lease.release(data.scheduleId, held).catch(() => undefined);
      }
      // A deleted schedule whose scheduler outlived it (the API died before removing it).
      if ('ignored' in outcome && outcome.ignored === 'gone') await queue.removeJobScheduler(job.repeatJobKey ?? data.scheduleId);
      deps.onTick?.(outcome, { scheduleId: data.scheduleId, tickAt });
      return 'run' in outcome ? { status: outcome.run.status, intentId: outcome.run.intentId } : outcome;
    },
    {
      connection: deps.connection(),
      prefix,
      concurrency: deps.concurrency ?? 4,
      lockDuration: deps.lockDurationMs ?? 30_000,
      stalledInterval: deps.stalledIntervalMs ?? 30_000,
    },
  );
  worker.on('failed', (job, err) => deps.logger.error({ job: job?.name, jobId: job?.id, err: { message: err.message } }, 'schedules job failed'));
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'schedules worker error'));
  // At start, without waiting for the first interval: a schedule written while every worker was down runs.
  void reconcile().catch((err: unknown) => deps.logger.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'schedules reconcile at start failed; the job retries'));
  await handshaken(worker, queue, intentsQueue);
  return {
    reconcileNow: reconcile,
    async close() {
      await closeWorker(worker);
      await Promise.all([queue.close(), intentsQueue.close()]);
    },
  };
}
