import { Writable } from 'node:stream';
import { IntentStore, queuedIntentRecord, SecretBox, secretContext, type IntentRecord } from '@neonops/intents';
import { useTestRedis, waitUntil } from '@neonops/testing';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { onTestFinished } from 'vitest';
import type { WebhookSettings } from '../config.js';
import { DeliveryLog } from '../delivery-log.js';
import { createWebhookDispatcher, createWebhooksQueue, type DispatcherOptions, type WebhookDispatcher } from '../dispatcher.js';
import { WebhookPublisher } from '../publisher.js';
import type { DeliveryRecord, WebhookJobData } from '../schemas.js';
import { SubscriptionStore } from '../subscription-store.js';

/** Settings for tests: a schedule in ms, the loopback allowlisted. */
export const TEST_SETTINGS: Partial<WebhookSettings> = {
  retryScheduleMs: [0, 20, 20, 20, 20, 20],
  timeoutMs: 5000,
  allowCidrs: ['127.0.0.1/32'],
  concurrency: 8,
};

export interface Harness {
  prefix: string;
  redisUrl: string;
  /** A command connection on the test's Redis (closed with the test). */
  redis: Redis;
  secretsKey: string;
  secretBox: SecretBox;
  intents: IntentStore;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryLog;
  queue: Queue<WebhookJobData>;
  publisher: WebhookPublisher;
  /** Every log line written by dispatchers of this harness. */
  logs: string[];
  logger: Logger;
  startDispatcher(settings?: Partial<WebhookSettings>, options?: DispatcherOptions): WebhookDispatcher;
  /** Stores a finished intent of `teamId` (with sealed secrets when given). */
  finishedIntent(teamId: string, status: 'succeeded' | 'failed' | 'cancelled', secrets?: Record<string, unknown>): Promise<IntentRecord>;
  /** Resolves when the delivery satisfies `predicate` (a record in Redis has no event: `waitUntil` probes it). */
  waitForDelivery(id: string, predicate: (d: DeliveryRecord) => boolean, timeoutMs?: number): Promise<DeliveryRecord>;
}

export function useHarness(): Harness {
  const redis = useTestRedis('wh');
  const client = redis.connect();
  const secretsKey = SecretBox.generateKey();
  const secretBox = new SecretBox(secretsKey);
  const intents = new IntentStore(client, { prefix: redis.prefix });
  const subscriptions = new SubscriptionStore(client, { prefix: redis.prefix, secretBox });
  const deliveries = new DeliveryLog(client, { prefix: redis.prefix });
  const queue = createWebhooksQueue(redis.connect(), redis.prefix);
  const publisher = new WebhookPublisher({ subscriptions, deliveries, queue });
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
  );
  const dispatchers: WebhookDispatcher[] = [];
  onTestFinished(async () => {
    await Promise.all(dispatchers.map((d) => d.close()));
    await queue.close();
  });
  return {
    prefix: redis.prefix,
    redisUrl: redis.url,
    redis: client,
    secretsKey,
    secretBox,
    intents,
    subscriptions,
    deliveries,
    queue,
    publisher,
    logs,
    logger,
    startDispatcher(settings = {}, options = {}) {
      const d = createWebhookDispatcher({
        connection: () => redis.connect(),
        keyPrefix: redis.prefix,
        subscriptions,
        deliveries,
        intents,
        secretBox,
        logger,
        settings: { ...TEST_SETTINGS, ...settings },
        options,
      });
      dispatchers.push(d);
      return d;
    },
    async finishedIntent(teamId, status, secrets) {
      const record: IntentRecord = { ...queuedIntentRecord({ teamId, kind: 'branch.create', params: { projectId: 'proud-sun-123456' } }), operationIds: ['op-1'] };
      await intents.create(record);
      if (secrets) await intents.putSecrets(record.id, secretBox.seal(secrets, secretContext.intent(record.id)));
      await intents.finish(record.id, status, status === 'succeeded' ? { result: { branch: { id: 'br-1', name: 'b' } } } : { error: { code: 'x', message: 'y' } });
      const finished = await intents.get(record.id);
      if (!finished) throw new Error('intent vanished');
      return finished;
    },
    async waitForDelivery(id, predicate, timeoutMs = 15_000) {
      let last: DeliveryRecord | undefined;
      return waitUntil(
        async () => {
          last = await deliveries.get(id);
          return last && predicate(last) ? last : undefined;
        },
        { timeoutMs, what: () => `delivery ${id} in the expected state (last: ${JSON.stringify(last)})` },
      );
    },
  };
}
