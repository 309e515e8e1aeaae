import type { Queue } from 'bullmq';
import type { DeliveryLog } from './delivery-log.js';
import { deliveryIdFor, messageIdFor, newId } from './ids.js';
import { eventTypeForStatus, matchesFilters, type DeliveryJobData, type DeliveryRecord, type EventType, type SubscriptionRecord } from './schemas.js';
import type { SubscriptionStore } from './subscription-store.js';

/** Job options every delivery job gets; the dispatcher decides retries from its schedule. */
export const DELIVERY_BACKOFF_TYPE = 'webhook-schedule';

/** More than any schedule needs: the dispatcher ends a delivery itself after its last scheduled attempt. */
const MAX_JOB_ATTEMPTS = 1000;

export interface PublisherDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryLog;
  queue: Queue<DeliveryJobData>;
  /** Delay of the first attempt in ms (the schedule's first entry). Default 0. */
  firstDelayMs?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/** What an intent's end tells subscribers. */
export interface IntentEndEvent {
  teamId: string;
  intentId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  /** When the intent ended (the payload's `timestamp`). */
  at: Date;
}

/**
 * Turns events into deliveries: one delivery record and one `webhooks` job per event ×
 * matching subscription. Publishing the same event again makes nothing new (the delivery id
 * derives from the event and the subscription), so a repeated hook cannot double-send.
 */
export class WebhookPublisher {
  private readonly now: () => Date;

  constructor(private readonly deps: PublisherDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Publishes `intent.<status>` to every enabled subscription of the team whose filters match; returns the deliveries made. */
  async publishIntentEnd(event: IntentEndEvent): Promise<DeliveryRecord[]> {
    const type = eventTypeForStatus(event.status);
    const subscriptions = (await this.deps.subscriptions.list(event.teamId)).filter((s) => s.enabled && matchesFilters(s.events, type));
    const out: DeliveryRecord[] = [];
    for (const subscription of subscriptions) {
      const id = deliveryIdFor(`${event.intentId}:${type}`, subscription.id, event.at);
      const delivery = await this.deliver(subscription, id, type, event.at, event.intentId);
      if (delivery) out.push(delivery);
    }
    return out;
  }

  /** Sends a `ping` to one subscription (whatever its filters). */
  async ping(subscription: SubscriptionRecord): Promise<DeliveryRecord> {
    const at = this.now();
    const id = deliveryIdFor(`ping:${newId('ping', at)}`, subscription.id, at);
    const delivery = await this.deliver(subscription, id, 'ping', at);
    if (!delivery) throw new Error('a new ping delivery already existed');
    return delivery;
  }

  /** Sends a delivery again (same `webhook-id`, a fresh schedule); its attempts so far stay in the log. */
  async replay(delivery: DeliveryRecord): Promise<DeliveryRecord> {
    const due = new Date(this.now().getTime() + (this.deps.firstDelayMs ?? 0));
    const replays = await this.deps.deliveries.markReplayed(delivery.id, due);
    await this.enqueue(delivery.id, `${delivery.id}-r${replays}`);
    return (await this.deps.deliveries.get(delivery.id)) ?? delivery;
  }

  private async deliver(
    subscription: SubscriptionRecord,
    id: string,
    type: EventType,
    at: Date,
    intentId?: string,
  ): Promise<DeliveryRecord | undefined> {
    const now = this.now();
    const record: DeliveryRecord = {
      id,
      subscriptionId: subscription.id,
      teamId: subscription.teamId,
      eventType: type,
      messageId: messageIdFor(id),
      ...(intentId === undefined ? {} : { intentId }),
      eventTimestamp: at.toISOString(),
      status: 'pending',
      nextAttemptAt: new Date(now.getTime() + (this.deps.firstDelayMs ?? 0)).toISOString(),
      replays: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    if (!(await this.deps.deliveries.create(record))) {
      // Published before: enqueue again only if it never finished (the job id dedupes a live job).
      const existing = await this.deps.deliveries.get(id);
      if (existing?.status !== 'pending') return undefined;
      await this.enqueue(id, id);
      return undefined;
    }
    await this.enqueue(id, id);
    return record;
  }

  private async enqueue(deliveryId: string, jobId: string): Promise<void> {
    await this.deps.queue.add(
      'deliver',
      { deliveryId },
      {
        jobId,
        delay: this.deps.firstDelayMs ?? 0,
        attempts: MAX_JOB_ATTEMPTS,
        backoff: { type: DELIVERY_BACKOFF_TYPE },
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 86_400, count: 1000 },
      },
    );
  }
}
