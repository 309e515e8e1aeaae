import { handshaken, OutboxConsumer, type IntentStore, type OutboxConsumerOptions, type SecretBox } from '@neonops/intents';
import {
  createWebhookDispatcher,
  createWebhooksQueue,
  DeliveryLog,
  SubscriptionStore,
  WebhookPublisher,
  type DeliveryAttemptInfo,
  type DispatcherOptions,
  type WebhookDispatcher,
  type WebhookSettings,
} from '@neonops/webhooks';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

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
  /** Timing of the outbox relay (block, batch, reclaim). Defaults: see {@link OutboxConsumerOptions}. */
  relay?: Partial<Pick<OutboxConsumerOptions, 'blockMs' | 'batch' | 'reclaimIdleMs' | 'errorPauseMs'>>;
  /** Called after each delivery an event makes (crash tests). */
  onDelivery?: () => void | Promise<void>;
  /** Called after each delivery attempt (metrics). Default none. */
  onAttempt?: (info: DeliveryAttemptInfo) => void;
}

export interface WorkerWebhooks {
  readonly dispatcher: WebhookDispatcher;
  readonly publisher: WebhookPublisher;
  /** The `webhooks` consumer group of the outbox: every `intent.finished` and `usage.threshold_crossed` becomes deliveries. */
  readonly relay: OutboxConsumer;
  /** Stops the relay (events being published finish first), then the dispatcher (active deliveries end first), closes the queue. */
  close(): Promise<void>;
}

/** The outbox consumer group that turns intent events into webhook deliveries. */
export const WEBHOOKS_OUTBOX_GROUP = 'webhooks';

/**
 * The worker's half of webhooks: a relay that reads intent events from the outbox (written
 * in the same step as the intent's end) and publishes each to the team's matching
 * subscriptions, at least once — publishing is idempotent by event and subscription — and
 * the dispatcher that sends the deliveries.
 */
export async function startWorkerWebhooks(deps: WorkerWebhooksDeps): Promise<WorkerWebhooks> {
  const subscriptions = new SubscriptionStore(deps.redis, { prefix: deps.keyPrefix, secretBox: deps.secretBox });
  const deliveries = new DeliveryLog(deps.redis, { prefix: deps.keyPrefix });
  const queue = createWebhooksQueue(deps.connection(), deps.keyPrefix);
  const publisher = new WebhookPublisher({
    subscriptions,
    deliveries,
    queue,
    firstDelayMs: deps.settings.retryScheduleMs[0] ?? 0,
    ...(deps.onDelivery ? { afterDelivery: deps.onDelivery } : {}),
  });
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
    ...(deps.onAttempt ? { onAttempt: deps.onAttempt } : {}),
  });
  const relay = new OutboxConsumer({
    blocking: deps.connection(),
    redis: deps.redis,
    key: deps.store.outboxKey,
    group: WEBHOOKS_OUTBOX_GROUP,
    logger: deps.logger,
    ...deps.relay,
    handle: async (event) => {
      if (event.type === 'usage.threshold_crossed') {
        const { type, ...data } = event;
        const made = await publisher.publishEvent({
          teamId: event.teamId,
          type,
          // One event per team, period and threshold (see ThresholdMarks): its deliveries are named by it.
          eventKey: `budget:${event.teamId}:${event.period}:${event.threshold}`,
          at: new Date(event.at),
          data,
        });
        if (made.length > 0) deps.logger.debug({ teamId: event.teamId, threshold: event.threshold, deliveries: made.length }, 'usage event published');
        return;
      }
      const made = await publisher.publishIntentEnd({ teamId: event.teamId, intentId: event.intentId, status: event.status, at: new Date(event.at) });
      if (made.length > 0) deps.logger.debug({ intentId: event.intentId, teamId: event.teamId, deliveries: made.length }, 'intent event published');
    },
  });
  await relay.start();
  await handshaken(dispatcher.worker, queue);

  return {
    dispatcher,
    publisher,
    relay,
    async close() {
      await relay.close();
      await dispatcher.close();
      await queue.close();
    },
  };
}
