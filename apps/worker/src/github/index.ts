import {
  bullPrefix,
  closeWorker,
  GITHUB_POST_BACK_QUEUE,
  handshaken,
  OutboxConsumer,
  POST_BACK_JOB_OPTIONS,
  postBackJobId,
  postBackJobSchema,
  PullRequestStates,
  SourceStore,
  type IntentStore,
  type OutboxConsumerOptions,
  type PostBackJobData,
  type SecretBox,
} from '@neonops/intents';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { GitHubApiError } from './client.js';
import { PreviewPostBack, type PostBackOutcome } from './post-back.js';

/** The outbox consumer group that queues a post-back for every ended preview intent. */
export const GITHUB_OUTBOX_GROUP = 'github';

export interface GitHubPostBackDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection. */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  secretBox: SecretBox;
  logger: Logger;
  /** GitHub's API base (`GITHUB_API_URL`). Default `https://api.github.com`. */
  apiUrl?: string;
  /** Default global `fetch` (tests of network failures). */
  fetch?: typeof fetch;
  /** Retries of a failing post-back. Default: {@link POST_BACK_JOB_OPTIONS} (10 tries, exponential from 2 s). */
  job?: { attempts?: number; backoffMs?: number };
  /** Timing of the outbox consumer. Defaults: see {@link OutboxConsumerOptions}. */
  consumer?: Partial<Pick<OutboxConsumerOptions, 'blockMs' | 'batch' | 'reclaimIdleMs' | 'errorPauseMs'>>;
  /** Called after each post-back job ran (tests, metrics). */
  onPosted?: (intentId: string, outcome: PostBackOutcome) => void;
}

export interface GitHubPostBack {
  readonly postBack: PreviewPostBack;
  readonly queue: Queue<PostBackJobData>;
  /** Stops the outbox consumer, then the job worker, and closes the queue. */
  close(): Promise<void>;
}

/**
 * Posting preview results back to GitHub: an outbox consumer group (`github`) that queues a
 * post-back job for each ended `preview.*` intent (job id per intent and phase, so a
 * redelivered event adds nothing), and a BullMQ worker that runs them with retries and
 * backoff. A post-back never changes its intent: when GitHub keeps failing, the job fails
 * and is logged (never with the token), the intent stays as it ended.
 */
export async function startGitHubPostBack(deps: GitHubPostBackDeps): Promise<GitHubPostBack> {
  const prefix = bullPrefix(deps.keyPrefix);
  const postBack = new PreviewPostBack({
    redis: deps.redis,
    keyPrefix: deps.keyPrefix,
    store: deps.store,
    sources: new SourceStore(deps.redis, { prefix: deps.keyPrefix, secretBox: deps.secretBox }),
    pullRequests: new PullRequestStates(deps.redis, { prefix: deps.keyPrefix }),
    apiUrl: deps.apiUrl ?? 'https://api.github.com',
    logger: deps.logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const jobOptions = {
    ...POST_BACK_JOB_OPTIONS,
    attempts: deps.job?.attempts ?? POST_BACK_JOB_OPTIONS.attempts,
    backoff: { type: 'exponential' as const, delay: deps.job?.backoffMs ?? POST_BACK_JOB_OPTIONS.backoff.delay },
  };
  const queue = new Queue<PostBackJobData>(GITHUB_POST_BACK_QUEUE, { connection: deps.connection(), prefix, defaultJobOptions: jobOptions });
  const worker = new Worker<PostBackJobData>(
    GITHUB_POST_BACK_QUEUE,
    async (job) => {
      const { intentId } = postBackJobSchema.parse(job.data);
      try {
        const outcome = await postBack.post(intentId);
        deps.logger.debug({ intentId, outcome }, 'github post-back');
        deps.onPosted?.(intentId, outcome);
        return outcome;
      } catch (error) {
        const info = error instanceof GitHubApiError ? { status: error.status, requestId: error.requestId, message: error.message } : { message: error instanceof Error ? error.message : String(error) };
        // 400/404/422: the repository, PR or commit is not there (or not for this token): no retry mends that.
        const final = error instanceof GitHubApiError && (error.status === 400 || error.status === 404 || error.status === 422);
        deps.logger.warn({ intentId, attempt: job.attemptsMade + 1, err: info }, final ? 'github post-back refused; not retried' : 'github post-back failed; retried later');
        if (final) throw new UnrecoverableError(info.message);
        throw error instanceof Error ? new Error(info.message) : error;
      }
    },
    { connection: deps.connection(), prefix, concurrency: 4 },
  );
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'github post-back worker error'));

  const consumer = new OutboxConsumer({
    blocking: deps.connection(),
    redis: deps.redis,
    key: deps.store.outboxKey,
    group: GITHUB_OUTBOX_GROUP,
    logger: deps.logger,
    ...deps.consumer,
    handle: async (event) => {
      if (event.type !== 'intent.finished' || (event.kind !== 'preview.ensure' && event.kind !== 'preview.teardown')) return;
      await queue.add('post', { intentId: event.intentId }, { jobId: postBackJobId(event.intentId, 'end') });
    },
  });
  await consumer.start();
  await handshaken(worker, queue);
  return {
    postBack,
    queue,
    async close() {
      await consumer.close();
      await closeWorker(worker);
      await queue.close();
    },
  };
}
