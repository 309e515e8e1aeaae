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
import type { WorkerHooks } from '../engine/run-intent.js';

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

  const publish = async (intentId: string, status: 'succeeded' | 'failed' | 'cancelled'): Promise<void> => {
    const record = await deps.store.get(intentId);
    if (!record) return;
    const made = await publisher.publishIntentEnd({ teamId: record.teamId, intentId, status, at: new Date(record.finishedAt ?? record.updatedAt) });
    if (made.length > 0) deps.logger.debug({ intentId, deliveries: made.length }, 'intent event published');
  };

  return {
    dispatcher,
    publisher,
    onFinished(info) {
      const p = publish(info.intentId, info.status)
        .catch((err: unknown) =>
          deps.logger.error({ intentId: info.intentId, err: { message: err instanceof Error ? err.message : String(err) } }, 'could not publish the intent event'),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async close() {
      await Promise.all([...inFlight]);
      await dispatcher.close();
      await queue.close();
    },
  };
}
