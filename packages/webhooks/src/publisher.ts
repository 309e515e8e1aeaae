import type { JobState, Queue } from 'bullmq';
import { currentJobId, type DeliveryLog } from './delivery-log.js';
import { deliveryIdFor, messageIdFor, newId } from './ids.js';
import { payloadNeedsIntent } from './payload.js';
import {
  eventTypeForStatus,
  isBatchJob,
  matchesFilters,
  type DeliveryBatchJobData,
  type DeliveryJobData,
  type DeliveryRecord,
  type EventType,
  type SubscriptionRecord,
  type UsageEventType,
  type WebhookJobData,
} from './schemas.js';
import type { SubscriptionStore } from './subscription-store.js';

/** Job options every delivery job gets; the dispatcher decides retries from its schedule. */
export const DELIVERY_BACKOFF_TYPE = 'webhook-schedule';

/** More than any schedule needs: the dispatcher ends a delivery itself after its last scheduled attempt. */
const MAX_JOB_ATTEMPTS = 1000;

/** Job states in which a job will still run (or is running): its delivery's chain is alive. */
const LIVE_STATES: ReadonlySet<JobState | 'unknown'> = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

export interface PublisherDeps {
  subscriptions: SubscriptionStore;
  deliveries: DeliveryLog;
  queue: Queue<WebhookJobData>;
  /** Delay of the first attempt in ms (the schedule's first entry). Default 0. */
  firstDelayMs?: number;
  /**
   * Most deliveries one job carries when intent events of one subscription are published
   * together (see {@link WebhookPublisher.publishIntentEnd}). Default 20; 1: a job per delivery.
   */
  maxDeliveriesPerJob?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Called after each delivery of an event was recorded and queued (crash tests, metrics). Default none. */
  afterDelivery?: (delivery: DeliveryRecord) => void | Promise<void>;
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
 * Some subscriptions of an event could not be given their delivery (Redis refused a write, the
 * queue was unreachable); every other matching subscription was. Publishing the event again
 * completes it without sending anything twice.
 */
export class WebhookPublishError extends AggregateError {
  readonly code = 'webhook_publish_failed';
  constructor(
    readonly intentId: string,
    /** The subscriptions that did not get their delivery, with why. */
    readonly failures: { subscriptionId: string; error: unknown }[],
  ) {
    super(
      failures.map((f) => f.error),
      `${failures.length} subscription(s) of intent ${intentId} did not get their delivery: ${failures.map((f) => f.subscriptionId).join(', ')}`,
    );
    this.name = 'WebhookPublishError';
  }
}

/** A subscription that did not get its delivery of an event, with why (`*`: the team's subscriptions could not be listed). */
interface PublishFailure {
  subscriptionId: string;
  error: unknown;
}

/** One event's delivery to one subscription: its id, the event, and what the payload is made of (the intent, or `data`). */
interface DeliverySpec {
  id: string;
  type: EventType;
  at: Date;
  intentId?: string;
  data?: Record<string, unknown>;
}

/** An intent event's delivery as `deliverTogether` makes it; `i` is the event's place in its flush. */
interface Published extends DeliverySpec {
  i: number;
}

/** What a replay did: a new retry chain, or (for a delivery still being retried) its next attempt brought forward. */
export type ReplayOutcome = 'restarted' | 'brought_forward' | 'in_flight';

/**
 * Turns events into deliveries: one delivery record and one `webhooks` job per event ×
 * matching subscription. Publishing the same event again makes nothing new (the delivery id
 * derives from the event and the subscription), so a repeated hook cannot double-send; it
 * only gives a pending delivery whose job is missing (a crash between record and job) a job.
 * A delivery has one retry chain at a time (its record names the chain's job).
 */
export class WebhookPublisher {
  private readonly now: () => Date;
  private readonly maxPerJob: number;
  /** Intent events handed in since the last flush (see `publishIntentEnd`). */
  private waiting: { event: IntentEndEvent; settle: (made: DeliveryRecord[], failures: PublishFailure[]) => void }[] = [];

  constructor(private readonly deps: PublisherDeps) {
    this.now = deps.now ?? (() => new Date());
    this.maxPerJob = Math.max(1, deps.maxDeliveriesPerJob ?? 20);
  }

  /**
   * Publishes `intent.<status>` to every enabled subscription of the team whose filters
   * match; returns the deliveries made. Every subscription is tried; if any failed, throws
   * one {@link WebhookPublishError} after the others were served, so that the caller
   * publishes the event again (idempotent; the outbox relay does).
   *
   * Events handed in together (in one turn of the event loop, as the outbox relay hands
   * every event it read at once) are published together: one listing of each team's
   * subscriptions, and the deliveries of one subscription share one job, up to
   * `maxDeliveriesPerJob` (see `deliveryBatchJobDataSchema`). A lone event gets a job of its own.
   */
  publishIntentEnd(event: IntentEndEvent): Promise<DeliveryRecord[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        event,
        settle: (made, failures) => (failures.length > 0 ? reject(new WebhookPublishError(event.intentId, failures)) : resolve(made)),
      });
      if (this.waiting.length === 1) setImmediate(() => void this.flushIntentEnds());
    });
  }

  /** Publishes the events handed in since the last flush; settles each one's promise (an unexpected error fails them all, to be published again). */
  private async flushIntentEnds(): Promise<void> {
    const batch = this.waiting;
    this.waiting = [];
    await this.publishTogether(batch).catch((error: unknown) => batch.forEach(({ settle }) => settle([], [{ subscriptionId: '*', error }])));
  }

  private async publishTogether(batch: typeof this.waiting): Promise<void> {
    const made = batch.map((): DeliveryRecord[] => []);
    const failures = batch.map((): PublishFailure[] => []);
    const byTeam = new Map<string, number[]>();
    batch.forEach(({ event }, i) => {
      const events = byTeam.get(event.teamId) ?? [];
      events.push(i);
      byTeam.set(event.teamId, events);
    });
    await Promise.all(
      [...byTeam].map(async ([teamId, events]) => {
        let subscriptions: SubscriptionRecord[];
        try {
          subscriptions = (await this.deps.subscriptions.list(teamId)).filter((s) => s.enabled);
        } catch (error) {
          for (const i of events) failures[i]?.push({ subscriptionId: '*', error });
          return;
        }
        const groups = subscriptions.flatMap((subscription) => {
          const items = events.flatMap((i): Published[] => {
            const { event } = batch[i]!;
            const type = eventTypeForStatus(event.status);
            if (!matchesFilters(subscription.events, type)) return [];
            return [{ i, id: deliveryIdFor(`${event.intentId}:${type}`, subscription.id, event.at), type, at: event.at, intentId: event.intentId }];
          });
          const chunks: Published[][] = [];
          for (let k = 0; k < items.length; k += this.maxPerJob) chunks.push(items.slice(k, k + this.maxPerJob));
          return chunks.map((chunk) => ({ subscription, chunk }));
        });
        await Promise.all(
          groups.map(async ({ subscription, chunk }) => {
            try {
              const records = await this.deliverTogether(subscription, chunk);
              records.forEach((record, k) => record && made[chunk[k]!.i]?.push(record));
            } catch (error) {
              for (const { i } of chunk) failures[i]?.push({ subscriptionId: subscription.id, error });
            }
          }),
        );
      }),
    );
    batch.forEach(({ settle }, i) => settle(made[i] ?? [], failures[i] ?? []));
  }

  /**
   * Publishes an event that is not about an intent (`usage.threshold_crossed`) to every
   * enabled subscription of the team whose filters match, with `data` as the payload's
   * `data` (kept in the delivery record). `eventKey` names the event: publishing the same key
   * again makes no new delivery. Failures as in {@link publishIntentEnd}.
   */
  async publishEvent(event: { teamId: string; type: UsageEventType; eventKey: string; at: Date; data: Record<string, unknown> }): Promise<DeliveryRecord[]> {
    const subscriptions = (await this.deps.subscriptions.list(event.teamId)).filter((s) => s.enabled && matchesFilters(s.events, event.type));
    const made: DeliveryRecord[] = [];
    const failures: PublishFailure[] = [];
    await Promise.all(
      subscriptions.map(async (subscription) => {
        const id = deliveryIdFor(`${event.eventKey}:${event.type}`, subscription.id, event.at);
        try {
          const delivery = await this.deliver(subscription, { id, type: event.type, at: event.at, data: event.data });
          if (delivery) {
            made.push(delivery);
            await this.deps.afterDelivery?.(delivery);
          }
        } catch (error) {
          failures.push({ subscriptionId: subscription.id, error });
        }
      }),
    );
    if (failures.length > 0) throw new WebhookPublishError(event.eventKey, failures);
    return made;
  }

  /** Sends a `ping` to one subscription (whatever its filters). */
  async ping(subscription: SubscriptionRecord): Promise<DeliveryRecord> {
    const at = this.now();
    const id = deliveryIdFor(`ping:${newId('ping', at)}`, subscription.id, at);
    const delivery = await this.deliver(subscription, { id, type: 'ping', at });
    if (!delivery) throw new Error('a new ping delivery already existed');
    return delivery;
  }

  /**
   * Sends a delivery again, same `webhook-id`; its attempts so far stay in the log. A
   * finished delivery (or a pending one whose job is gone) starts a new chain with a fresh
   * schedule, counted in `replays`. A delivery still being retried keeps its one chain: its
   * next attempt is brought forward to now (`brought_forward`), or, when an attempt is
   * running right now, nothing changes (`in_flight`).
   */
  async replay(delivery: DeliveryRecord): Promise<{ delivery: DeliveryRecord; outcome: ReplayOutcome }> {
    let outcome: ReplayOutcome = 'restarted';
    const jobId = currentJobId(delivery);
    const state = delivery.status === 'pending' ? await this.deps.queue.getJobState(jobId) : 'unknown';
    if (LIVE_STATES.has(state)) outcome = await this.bringForward(delivery, jobId, state);
    else await this.restart(delivery, true);
    return { delivery: (await this.deps.deliveries.get(delivery.id)) ?? delivery, outcome };
  }

  /**
   * Re-sends every delivery of a subscription since `since` that did not succeed: `failed`
   * ones are replayed (a new chain), `pending` ones whose job is gone get a job. Pending
   * deliveries whose chain is alive are left to it. Returns the deliveries re-sent.
   */
  async recover(subscriptionId: string, since: Date): Promise<DeliveryRecord[]> {
    const out: DeliveryRecord[] = [];
    for (const delivery of await this.deps.deliveries.unfinishedSince(subscriptionId, since)) {
      if (delivery.status === 'failed') out.push((await this.replay(delivery)).delivery);
      else if (await this.resume(delivery)) out.push((await this.deps.deliveries.get(delivery.id)) ?? delivery);
    }
    return out;
  }

  /** Gives a pending delivery whose chain has no live job a new chain; true when it did. */
  private async resume(delivery: DeliveryRecord): Promise<boolean> {
    if (delivery.status !== 'pending') return false;
    if (LIVE_STATES.has(await this.deps.queue.getJobState(currentJobId(delivery)))) return false;
    await this.restart(delivery, false);
    return true;
  }

  /** A new chain, unless another caller made one first (then its job is enqueued again, which BullMQ deduplicates). */
  private async restart(delivery: DeliveryRecord, replay: boolean): Promise<void> {
    const due = new Date(this.now().getTime() + (this.deps.firstDelayMs ?? 0));
    const restarted = await this.deps.deliveries.restart(delivery, { nextAttemptAt: due, replay });
    if (restarted.outcome !== 'missing') await this.enqueue(delivery, restarted.jobId);
  }

  private async bringForward(delivery: DeliveryRecord, jobId: string, state: JobState | 'unknown'): Promise<ReplayOutcome> {
    if (state !== 'delayed') return 'in_flight';
    const job = await this.deps.queue.getJob(jobId);
    try {
      await job?.promote();
    } catch {
      // It left the delayed set meanwhile (its attempt started): nothing to bring forward.
      return 'in_flight';
    }
    // A batch job brings every delivery it carries forward (the script moves only those whose chain it is).
    const ids = job && isBatchJob(job.data) ? job.data.deliveryIds : [delivery.id];
    await Promise.all(ids.map((id) => this.deps.deliveries.reschedule(id, jobId, this.now())));
    return 'brought_forward';
  }

  /** A new delivery's record; its chain is `jobId` (its own job by default). */
  private newRecord(subscription: SubscriptionRecord, { id, type, at, intentId, data }: DeliverySpec, jobId = id): DeliveryRecord {
    const now = this.now();
    return {
      id,
      subscriptionId: subscription.id,
      teamId: subscription.teamId,
      eventType: type,
      messageId: messageIdFor(id),
      ...(intentId === undefined ? {} : { intentId }),
      ...(data === undefined ? {} : { data }),
      eventTimestamp: at.toISOString(),
      status: 'pending',
      nextAttemptAt: new Date(now.getTime() + (this.deps.firstDelayMs ?? 0)).toISOString(),
      replays: 0,
      jobId,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
  }

  /** Records one delivery and queues its job; undefined when it existed (published before). */
  private async deliver(subscription: SubscriptionRecord, spec: DeliverySpec): Promise<DeliveryRecord | undefined> {
    const record = this.newRecord(subscription, spec);
    if (await this.deps.deliveries.create(record)) {
      await this.enqueue(record, spec.id);
      return record;
    }
    await this.resumeExisting(spec.id);
    return undefined;
  }

  /** Published before: a pending delivery whose job never made it (or is gone) gets one. */
  private async resumeExisting(id: string): Promise<void> {
    const existing = await this.deps.deliveries.get(id);
    if (existing) await this.resume(existing);
  }

  /**
   * Records deliveries of one subscription and queues one job for those that are new (their
   * chain); returns the records in `items`' order, undefined where one existed. Records are
   * written before the job: a crash in between leaves pending deliveries whose job is missing,
   * which publishing again resumes, each with a job of its own.
   */
  private async deliverTogether(subscription: SubscriptionRecord, items: Published[]): Promise<(DeliveryRecord | undefined)[]> {
    const [only] = items;
    if (items.length === 1 && only) {
      const made = await this.deliver(subscription, only);
      if (made) await this.deps.afterDelivery?.(made);
      return [made];
    }
    const jobId = newId('bat', this.now());
    const records = items.map((item) => this.newRecord(subscription, item, jobId));
    const created = await Promise.all(records.map((record) => this.deps.deliveries.create(record)));
    await Promise.all(records.map((record, k) => (created[k] ? undefined : this.resumeExisting(record.id))));
    const fresh = records.filter((_, k) => created[k]);
    if (fresh.length === 0) return records.map(() => undefined);
    const data: DeliveryBatchJobData = { subscriptionId: subscription.id, deliveryIds: fresh.map((r) => r.id) };
    await this.deps.queue.add('deliver-batch', data, this.jobOptions(jobId));
    for (const record of fresh) await this.deps.afterDelivery?.(record);
    return records.map((record, k) => (created[k] ? record : undefined));
  }

  private async enqueue(delivery: DeliveryRecord, jobId: string): Promise<void> {
    const data: DeliveryJobData = {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      ...(payloadNeedsIntent(delivery) ? { intentId: delivery.intentId } : {}),
    };
    await this.deps.queue.add('deliver', data, this.jobOptions(jobId));
  }

  private jobOptions(jobId: string) {
    return {
      jobId,
      delay: this.deps.firstDelayMs ?? 0,
      attempts: MAX_JOB_ATTEMPTS,
      backoff: { type: DELIVERY_BACKOFF_TYPE },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 86_400, count: 1000 },
    };
  }
}
