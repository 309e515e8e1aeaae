import {
  bullPrefix,
  closeWorker,
  forgetCachedReads,
  handshaken,
  INTENTS_QUEUE,
  isTerminalStatus,
  PullRequestStates,
  type IntentStore,
  type ProjectOwnership,
  type SecretBox,
} from '@neonops/intents';
import type { NeonClient } from '@neonops/neon-client';
import { bullmqTelemetry, runInIntentContext } from '@neonops/observability';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkerJobData } from './engine/checkpoint.js';
import {
  createIntentProcessor,
  DEFAULT_ENGINE_SETTINGS,
  type EngineSettings,
  type HandlerMap,
  type JobOutcome,
  type WorkerHooks,
} from './engine/run-intent.js';
import type { OperationTimingsSource } from './engine/operation-timings.js';
import { SharedOperationTimings } from './engine/shared-operation-timings.js';
import { FailureCodes } from './errors.js';
import { handlers as defaultHandlers } from './handlers/index.js';
import type { ProjectLock } from './project-lock.js';

/** How finished jobs are kept: BullMQ's `KeepJobs`. */
export interface KeepJobs {
  /** Seconds to keep a finished job. */
  age: number;
  /** Most finished jobs to keep. */
  count: number;
}

export interface IntentWorkerOptions {
  /** Jobs run at once by this process. Default 16. */
  concurrency?: number;
  /** BullMQ job lock in ms; a dead worker's job is resumed after about this long. Default 30000. */
  lockDurationMs?: number;
  /** How often stalled jobs are looked for, in ms. Default 30000. */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) and be resumed before it fails. Default 3. */
  maxStalledCount?: number;
  /** Completed jobs kept. Default `{ age: 3600, count: 1000 }`. */
  removeOnComplete?: KeepJobs;
  /** Failed jobs kept. Default `{ age: 604800, count: 5000 }`. */
  removeOnFail?: KeepJobs;
  /**
   * Listen (with `QueueEvents`) for jobs that fail outside the processor (stalled too often)
   * and fail their intents with `worker_lost`. Default true.
   */
  watchLostJobs?: boolean;
}

/** Everything the worker needs, injected (main.ts wires the real ones; tests their own). */
export interface IntentWorkerDeps {
  /** Makes a Redis connection for BullMQ (with `maxRetriesPerRequest: null`: workers wait for Redis). */
  connection: () => Redis;
  /** The service key prefix; the BullMQ prefix is `bullPrefix(keyPrefix)`, as on the API side. */
  keyPrefix: string;
  /** A Neon client whose request core uses the shared rate budget. */
  neon: NeonClient;
  store: IntentStore;
  secretBox: SecretBox;
  projectLock: ProjectLock;
  ownership: ProjectOwnership;
  /** Pull request states read by the preview kinds. Default: a `PullRequestStates` on a connection from `connection` under `keyPrefix`. */
  pullRequests?: PullRequestStates;
  logger: Logger;
  /** Step engine timing. Defaults: see {@link DEFAULT_ENGINE_SETTINGS}. */
  settings?: Partial<EngineSettings>;
  options?: IntentWorkerOptions;
  hooks?: WorkerHooks;
  /** Handlers by kind. Default: the full set. */
  handlers?: HandlerMap;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Jitter source. Default `Math.random`. */
  random?: () => number;
  /**
   * Learned durations of operation batches (poll schedule). Default: a
   * `SharedOperationTimings` on a connection from `connection` under `keyPrefix`, shared by
   * every worker on that prefix and surviving restarts; pass an `OperationTimings` to keep
   * them in this process only.
   */
  timings?: OperationTimingsSource;
  /**
   * Expected durations of batch kinds not learned yet (e.g. `neonPriorMs`, Neon's typical
   * durations; `startWorker` passes it unless `OPERATION_PRIORS=none`). Default none: the
   * doubling poll schedule until a batch of the kind finished.
   */
  priorMs?: (key: string) => number | undefined;
}

export interface IntentWorker {
  readonly worker: Worker<WorkerJobData, JobOutcome>;
  /**
   * Resolves once the worker's connections (and its `QueueEvents`' and `Queue`'s) finished their handshake;
   * `startWorker` waits for it, and so does `close` (see {@link handshaken}).
   */
  ready(): Promise<void>;
  /**
   * Stops taking jobs, lets active jobs reach their next checkpoint (steps never sleep, so
   * this is quick), then closes connections. After `timeoutMs` it stops waiting: every job is
   * checkpointed, and one whose lock expires is resumed by another worker.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** Builds the BullMQ worker of the `intents` queue from its dependencies. */
export function createIntentWorker(deps: IntentWorkerDeps): IntentWorker {
  const options = deps.options ?? {};
  const prefix = bullPrefix(deps.keyPrefix);
  const log = deps.logger;
  // Commands of the engine itself (fenced writes, forgetting cached reads).
  const commands = deps.connection();
  const processor = createIntentProcessor({
    neon: deps.neon,
    store: deps.store,
    secretBox: deps.secretBox,
    projectLock: deps.projectLock,
    ownership: deps.ownership,
    pullRequests: deps.pullRequests ?? new PullRequestStates(deps.connection(), { prefix: deps.keyPrefix }),
    handlers: deps.handlers ?? defaultHandlers,
    logger: log,
    settings: { ...DEFAULT_ENGINE_SETTINGS, ...deps.settings },
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.random ? { random: deps.random } : {}),
    timings: deps.timings ?? new SharedOperationTimings(deps.connection(), { prefix: deps.keyPrefix, logger: log }),
    ...(deps.priorMs ? { priorMs: deps.priorMs } : {}),
    // Writes of a job are refused once its lock has moved to another worker.
    fencing: { keyPrefix: deps.keyPrefix, redis: commands },
    // The API's cached read-through answers about a project are forgotten once an intent changed it.
    forgetCachedReads: (projectId) => forgetCachedReads(commands, deps.keyPrefix, projectId),
    // A job waiting for a project lock sits in delayed; promoting it wakes it now.
    wake: async (intentId) => {
      const job = await Job.fromId<WorkerJobData, JobOutcome>(queue, intentId);
      if (job && (await job.isDelayed())) await job.promote();
    },
  });
  const queue = new Queue<WorkerJobData, JobOutcome>(INTENTS_QUEUE, { connection: deps.connection(), prefix, ...bullmqTelemetry() });

  // Each job runs in its intent's log context: Neon calls made for it carry its id in their logs and `X-Request-ID`.
  const inContext = (job: Job<WorkerJobData, JobOutcome>, token?: string): Promise<JobOutcome> =>
    runInIntentContext({ intentId: String(job.data.intentId), teamId: String(job.data.teamId), kind: String(job.data.kind) }, () => processor(job, token));
  const worker: Worker<WorkerJobData, JobOutcome> = new Worker<WorkerJobData, JobOutcome>(INTENTS_QUEUE, inContext, {
    connection: deps.connection(),
    prefix,
    concurrency: options.concurrency ?? 16,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
    removeOnComplete: options.removeOnComplete ?? { age: 3600, count: 1000 },
    removeOnFail: options.removeOnFail ?? { age: 7 * 86_400, count: 5000 },
    // Tracing on: each job's `process` span continues the trace of the request that queued it.
    ...bullmqTelemetry(),
  });
  worker.on('error', (err) => log.error({ err: { name: err.name, message: err.message } }, 'worker error'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker died?); it will be resumed from its checkpoint'));

  let events: QueueEvents | undefined;
  if (options.watchLostJobs ?? true) {
    events = new QueueEvents(INTENTS_QUEUE, { connection: deps.connection(), prefix });
    events.on('error', (err) => log.error({ err: { name: err.name, message: err.message } }, 'queue events error'));
    events.on('failed', ({ jobId, failedReason }) => {
      // The processor finishes intents itself; this catches jobs that failed without it (stalled too often).
      void (async () => {
        const record = await deps.store.get(jobId);
        if (!record || isTerminalStatus(record.status)) return;
        const done = await deps.store.finish(jobId, 'failed', {
          error: { code: FailureCodes.workerLost, message: `The job failed outside its steps: ${failedReason}` },
        });
        if (done) {
          log.warn({ intentId: jobId, teamId: record.teamId, kind: record.kind }, 'intent failed: job lost');
          deps.hooks?.onFinished?.({
            intentId: jobId,
            kind: record.kind,
            teamId: record.teamId,
            status: 'failed',
            error: { code: FailureCodes.workerLost, message: 'The job failed outside its steps' },
          });
        }
      })().catch((err: unknown) => log.error({ err: { message: String(err) } }, 'could not fail a lost intent'));
    });
  }

  const ready = (): Promise<void> => handshaken(worker, events, queue);
  return {
    worker,
    ready,
    async close(timeoutMs = 25_000) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      // Closed in their handshake, BullMQ connections leave an unhandled rejection behind (see handshaken).
      const closing = ready()
        .catch(() => undefined)
        .then(() => Promise.all([closeWorker(worker), events?.close()]))
        .then(() => queue.close())
        .then(() => 'closed' as const);
      const outcome = await Promise.race([closing, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        log.warn({ timeoutMs }, 'active jobs did not finish in time; leaving them to be resumed from their checkpoints');
        void closing.catch(() => undefined);
      }
    },
  };
}
