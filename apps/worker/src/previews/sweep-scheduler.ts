import { bullPrefix, closeWorker, handshaken, INTENTS_QUEUE, PullRequestStates, SourceStore, type IntentJobData, type IntentStore, type SecretBox } from '@neonops/intents';
import type { NeonClient } from '@neonops/neon-client';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { sweepPreviews, type PreviewSweepReport } from './sweep.js';

/** The queue of the preview sweep's job scheduler. */
export const PREVIEW_SWEEP_QUEUE = 'preview-sweep';
/** The job scheduler id of the preview sweep. */
export const PREVIEW_SWEEP_SCHEDULER_ID = 'preview-sweep';

export interface PreviewSweepSchedulerDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection. */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  secretBox: SecretBox;
  neon: NeonClient;
  logger: Logger;
  /** GitHub's API base (`GITHUB_API_URL`). */
  apiUrl: string;
  /** How often the sweep runs, in ms (`PREVIEW_SWEEP_INTERVAL_MS`). */
  intervalMs: number;
  /** Only report (`PREVIEW_SWEEP_DRY_RUN`). */
  dryRun: boolean;
  /** Clock. Default `Date.now`. */
  now?: () => number;
  fetch?: typeof fetch;
  /** Called after each sweep (tests, metrics). */
  onSweep?: (report: PreviewSweepReport) => void;
}

export interface PreviewSweepScheduler {
  /** Runs a sweep now, outside the schedule; `dryRun` overrides the configured mode. */
  sweepNow(options?: { dryRun?: boolean }): Promise<PreviewSweepReport>;
  close(): Promise<void>;
}

/**
 * The preview sweep as a BullMQ job scheduler on its own queue: every worker process upserts
 * the same scheduler (idempotent), so each tick runs once per deployment, whatever the
 * number of processes, and the schedule survives restarts.
 */
export async function startPreviewSweep(deps: PreviewSweepSchedulerDeps): Promise<PreviewSweepScheduler> {
  const prefix = bullPrefix(deps.keyPrefix);
  const queue = new Queue(PREVIEW_SWEEP_QUEUE, { connection: deps.connection(), prefix });
  const intents = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: deps.connection(), prefix });
  const sources = new SourceStore(deps.redis, { prefix: deps.keyPrefix, secretBox: deps.secretBox });
  const pullRequests = new PullRequestStates(deps.redis, { prefix: deps.keyPrefix });
  const sweep = async (dryRun = deps.dryRun): Promise<PreviewSweepReport> => {
    const report = await sweepPreviews({
      redis: deps.redis,
      keyPrefix: deps.keyPrefix,
      store: deps.store,
      sources,
      pullRequests,
      neon: deps.neon,
      queue: intents,
      apiUrl: deps.apiUrl,
      logger: deps.logger,
      dryRun,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    deps.onSweep?.(report);
    return report;
  };
  await queue.upsertJobScheduler(
    PREVIEW_SWEEP_SCHEDULER_ID,
    { every: deps.intervalMs },
    { name: 'sweep-previews', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(PREVIEW_SWEEP_QUEUE, async () => sweep(), { connection: deps.connection(), prefix, concurrency: 1 });
  worker.on('failed', (_job, err) => deps.logger.error({ err: { message: err.message } }, 'preview sweep failed'));
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'preview sweep worker error'));
  await handshaken(worker, queue, intents);
  return {
    sweepNow: (options = {}) => sweep(options.dryRun ?? deps.dryRun),
    async close() {
      await closeWorker(worker);
      await Promise.all([queue.close(), intents.close()]);
    },
  };
}
