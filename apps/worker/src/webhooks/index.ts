import type { IntentStore, SecretBox } from '@neonops/intents';
import {
  createWebhookDispatcher,
  createWebhooksQueue,
  DeliveryLog,
  SubscriptionStore,
  WebhookPublisher,
  type DispatcherOptions,
  type WebhookDispatcher,
  type WebhookSettings,
} from '@neonops/webhooks';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isTerminalStatus } from '@neonops/intents';
import type { Worker } from 'bullmq';
import type { WorkerJobData } from '../engine/checkpoint.js';
import type { JobOutcome, WorkerHooks } from '../engine/run-intent.js';

export interface WorkerWebhooksDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection for the stores. */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  secretBox: SecretBox;
  logger: Logger;
  settings: WebhookSettings;
  /** Lock and stalled-check timing of the dispatcher. Defaults: see {@link DispatcherOptions}. */
  dispatcher?: DispatcherOptions;
}

export interface WorkerWebhooks {
  readonly dispatcher: WebhookDispatcher;
  readonly publisher: WebhookPublisher;
  /** The `onFinished` hook: publishes `intent.<status>` to the team's matching subscriptions. */
  onFinished: NonNullable<WorkerHooks['onFinished']>;
  /**
   * Safety net for the window between `store.finish` and the publication: a worker that died
   * there leaves its job to stall; the rerun finds the intent finished (`gone`), and this
   * listener publishes its event then. Publishing is idempotent, so a second time changes nothing.
   */
  watch(worker: Worker<WorkerJobData, JobOutcome>): void;
  /** Waits for publications in flight, stops the dispatcher (active deliveries end first), closes the queue. */
  close(): Promise<void>;
}

/**
 * The worker's half of webhooks: the publisher behind `onFinished` (intent end → one
 * delivery per matching subscription on the `webhooks` queue) and the dispatcher sending them.
 */
export function startWorkerWebhooks(deps: WorkerWebhooksDeps): WorkerWebhooks {
  const subscriptions = new SubscriptionStore(deps.redis, { prefix: deps.keyPrefix, secretBox: deps.secretBox });
  const deliveries = new DeliveryLog(deps.redis, { prefix: deps.keyPrefix });
  const queue = createWebhooksQueue(deps.connection(), deps.keyPrefix);
  const publisher = new WebhookPublisher({ subscriptions, deliveries, queue, firstDelayMs: deps.settings.retryScheduleMs[0] ?? 0 });
  const dispatcher = createWebhookDispatcher({
    connection: deps.connection,
    keyPrefix: deps.keyPrefix,
    subscriptions,
    deliveries,
    intents: deps.store,
    secretBox: deps.secretBox,
    logger: deps.logger,
    settings: deps.settings,
    ...(deps.dispatcher ? { options: deps.dispatcher } : {}),
  });
  const inFlight = new Set<Promise<void>>();

  const publish = async (intentId: string, status?: 'succeeded' | 'failed' | 'cancelled'): Promise<void> => {
    const record = await deps.store.get(intentId);
    if (!record || !isTerminalStatus(record.status)) return;
    status ??= record.status;
    const made = await publisher.publishIntentEnd({ teamId: record.teamId, intentId, status, at: new Date(record.finishedAt ?? record.updatedAt) });
    if (made.length > 0) deps.logger.debug({ intentId, deliveries: made.length }, 'intent event published');
  };

  const track = (intentId: string, status?: 'succeeded' | 'failed' | 'cancelled'): void => {
    const p = publish(intentId, status)
      .catch((err: unknown) =>
        deps.logger.error({ intentId, err: { message: err instanceof Error ? err.message : String(err) } }, 'could not publish the intent event'),
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  return {
    dispatcher,
    publisher,
    watch(worker) {
      worker.on('completed', (job, outcome) => {
        if (outcome?.status === 'gone') track(job.data.intentId);
      });
    },
    onFinished(info) {
      track(info.intentId, info.status);
    },
    async close() {
      await Promise.all([...inFlight]);
      await dispatcher.close();
      await queue.close();
    },
  };
}
