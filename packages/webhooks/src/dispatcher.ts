import { bullPrefix, closeWorker, type EncodedIntent, type IntentStore, type SecretBox } from '@neonops/intents';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './config.js';
import { currentJobId, type DeliveryFence, type DeliveryLog, type FencedOutcome } from './delivery-log.js';
import { buildBody, payloadNeedsIntent } from './payload.js';
import { DELIVERY_BACKOFF_TYPE } from './publisher.js';
import {
  isBatchJob,
  redactUrl,
  WEBHOOKS_QUEUE,
  type DeliveryAttempt,
  type DeliveryBatchJobData,
  type DeliveryJobData,
  type DeliveryRecord,
  type SubscriptionRecord,
  type WebhookJobData,
} from './schemas.js';
import { createDeliveryAgents, sendWebhook, type SendResult } from './sender.js';
import { signatureHeaders } from './signing.js';
import { SubscriptionSlots, type Slot } from './slots.js';
import { SsrfGuard } from './ssrf.js';
import type { SubscriptionStore } from './subscription-store.js';

/** A failed attempt with more to come: carries the delay the custom backoff strategy returns. */
export class RetryDeliveryError extends Error {
  readonly code = 'delivery_retry';
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'RetryDeliveryError';
  }
}

export interface DispatcherOptions {
  /** BullMQ lock of an active delivery, in ms; a killed dispatcher's delivery is retried after about this long. Default 30000. */
  lockDurationMs?: number;
  /** How often stalled deliveries are looked for, in ms. Default 30000. */
  stalledIntervalMs?: number;
  /** Times a delivery may stall (its dispatcher died) before its job fails. Default 5. */
  maxStalledCount?: number;
  /**
   * Attempts to one subscription this process runs at once. More wait in BullMQ's delayed set
   * (a short jittered delay, no attempt used), so a receiver that hangs until the timeout can
   * never take every slot. Default half the concurrency (at least 1).
   */
  maxInFlightPerSubscription?: number;
  /**
   * The tighter limit for a subscription that is slow right now: one of its attempts in this
   * process has run longer than `slowAttemptMs`, or its last attempt did. Default 2.
   */
  maxSlowInFlightPerSubscription?: number;
  /** When an attempt counts as slow, in ms. Default 1000 (or a quarter of the timeout if less). */
  slowAttemptMs?: number;
  /** How long a delivery over that limit waits before it is tried again, in ms (plus up to 100 % jitter). Default 250. */
  inFlightRetryDelayMs?: number;
  /**
   * Reuse connections to receivers (keep-alive agents, at most `concurrency` per host, idle
   * ones closed after 4 s). Each connection is opened through the SSRF guard either way.
   * Default true; false opens a new connection per attempt.
   */
  keepAlive?: boolean;
}

export interface DispatcherDeps {
  /** Makes a Redis connection for BullMQ (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** The service key prefix; the BullMQ prefix is `bullPrefix(keyPrefix)`. */
  keyPrefix: string;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryLog;
  /** Intent records, for the payload. */
  intents: IntentStore;
  /** Opens intent secrets for subscriptions with `includeSecrets`. */
  secretBox: SecretBox;
  logger: Logger;
  /** Timeout, schedule, allowlist, disable-after and concurrency. Default {@link DEFAULT_WEBHOOK_SETTINGS}. */
  settings?: Partial<WebhookSettings>;
  options?: DispatcherOptions;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Called after each attempt that reached a receiver (or was refused), for metrics. Default none. */
  onAttempt?: (info: DeliveryAttemptInfo) => void;
}

/**
 * One delivery attempt as metrics see it: no ids, no URL. `outcome`: `delivered`,
 * `retrying` (failed, more attempts to come), `failed` (failed for good: last attempt,
 * subscription disabled, 410, or a URL the SSRF guard refuses).
 */
export interface DeliveryAttemptInfo {
  outcome: 'delivered' | 'retrying' | 'failed';
  /** 1 for the first attempt. */
  attempt: number;
  eventType: string;
  /** Time to the receiver's answer (or failure), in ms. */
  latencyMs: number;
}

export interface WebhookDispatcher {
  readonly worker: Worker<WebhookJobData>;
  readonly guard: SsrfGuard;
  close(): Promise<void>;
}

/** The delay before the attempt after `attemptsMade` failed ones, from the schedule (its last entry beyond it). */
export function scheduledDelay(schedule: readonly number[], attemptsMade: number): number {
  return schedule[Math.min(attemptsMade, schedule.length - 1)] ?? 0;
}

const tracer = trace.getTracer('@neonops/webhooks');

/**
 * The subscription as the attempts of one job see it: read once (with its signing secrets),
 * and marked `disabled` once one of those attempts disabled it (410, or failing for too long),
 * so that the job's later deliveries are dropped rather than sent.
 */
interface SubscriptionView {
  read: Promise<{ subscription?: SubscriptionRecord; secrets?: string[] }>;
  disabled?: boolean;
  /** Whether a run of failures is on record now, once an attempt of this job changed it (before: the read's `failingSince`). */
  failing?: boolean;
}

/** How one attempt of one delivery ended: the job decides from these whether it is retried. */
type AttemptOutcome = { kind: 'delivered' | 'dropped' | 'superseded' } | { kind: 'failed'; code: string } | { kind: 'retry'; delayMs: number; reason: string };

/**
 * One span per delivery attempt (`webhook delivery`), with the delivery, subscription, intent,
 * team, event type, attempt and the receiver's status; never the URL (it may hold a token) nor
 * the body. Without a registered tracer provider (`OTEL_EXPORTER_OTLP_ENDPOINT` unset) it is
 * OpenTelemetry's no-op span.
 */
function traceDelivery(
  ctx: { deliveryId: string; subscriptionId: string; intentId?: string; teamId: string; eventType: string; attempt: number },
  send: () => Promise<SendResult>,
): Promise<SendResult> {
  const attributes = {
    'neonops.delivery_id': ctx.deliveryId,
    'neonops.subscription_id': ctx.subscriptionId,
    'neonops.team_id': ctx.teamId,
    'neonops.event_type': ctx.eventType,
    'neonops.attempt': ctx.attempt,
    ...(ctx.intentId === undefined ? {} : { 'neonops.intent_id': ctx.intentId }),
  };
  const span = tracer.startSpan('webhook delivery', { kind: SpanKind.CLIENT, attributes });
  // Not recorded (no tracer registered, or a trace not kept): nothing to make active or to fill in.
  if (!span.isRecording()) {
    span.end();
    return send();
  }
  return context.with(trace.setSpan(context.active(), span), async () => {
    try {
      const result = await send();
      if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
      const failure = describeFailure(result);
      if (failure) span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
      return result;
    } finally {
      span.end();
    }
  });
}

function describeFailure(result: SendResult): { code: string; message: string } | undefined {
  if (result.error) return result.error;
  const status = result.status ?? 0;
  if (status >= 200 && status < 300) return undefined;
  if (status >= 300 && status < 400) return { code: 'redirect', message: `The receiver answered ${status}; redirects are not followed` };
  return { code: 'http_status', message: `The receiver answered ${status}` };
}

/**
 * The dispatcher: a BullMQ worker on the `webhooks` queue sending one signed POST per
 * delivery and job attempt (a batch job: one per delivery it still owns). Retries follow the
 * schedule through BullMQ's custom backoff (no scheduler of our own); `Retry-After` of a 429/503 stretches the next delay; 410 disables the subscription;
 * after the last attempt the delivery is `failed` and kept for replay. Deliveries run
 * concurrently, each bounded by the timeout, so one slow receiver never holds up others.
 */
export function createWebhookDispatcher(deps: DispatcherDeps): WebhookDispatcher {
  const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, ...deps.settings };
  const schedule = settings.retryScheduleMs;
  const now = deps.now ?? (() => new Date());
  const guard = new SsrfGuard({ allowHosts: settings.allowHosts, allowCidrs: settings.allowCidrs });
  const log = deps.logger;
  const options = deps.options ?? {};
  const agents = options.keepAlive === false ? undefined : createDeliveryAgents({ maxSocketsPerHost: settings.concurrency });

  const slots = new SubscriptionSlots({
    maxInFlight: options.maxInFlightPerSubscription ?? Math.max(1, Math.floor(settings.concurrency / 2)),
    maxSlowInFlight: options.maxSlowInFlightPerSubscription ?? 2,
    slowMs: options.slowAttemptMs ?? Math.min(1000, settings.timeoutMs / 4),
  });

  /** Steps aside without using an attempt: the subscription already holds its share of slots. */
  const stepAside = async (job: Job<WebhookJobData>, token: string): Promise<never> => {
    const wait = options.inFlightRetryDelayMs ?? 250;
    await job.moveToDelayed(Date.now() + wait + Math.floor(Math.random() * wait), token);
    throw new DelayedError();
  };

  /**
   * Writes are fenced by the job's lock: a dispatcher whose lock expired (the job went to
   * another one) cannot move a delivery's status anymore.
   */
  const fenceOf = (job: Job<WebhookJobData>, jobId: string, token: string | undefined): DeliveryFence => ({
    jobId,
    ...(token ? { token, lockKey: `${job.queueQualifiedName}:${job.id}:lock` } : {}),
  });

  /** One delivery's outcome as BullMQ's: a retry or a failure for good is thrown. */
  const settle = (outcome: AttemptOutcome): string => {
    if (outcome.kind === 'failed') throw new UnrecoverableError(outcome.code);
    if (outcome.kind === 'retry') throw new RetryDeliveryError(outcome.delayMs, outcome.reason);
    return outcome.kind;
  };

  /**
   * A job of one delivery. The subscription (one command, with its signing secrets) and the
   * intent are read with the delivery when the job names them (see `deliveryJobDataSchema`):
   * one round-trip wait before the POST instead of two. They go unused when the delivery is
   * dropped or refused.
   */
  const processOne = async (job: Job<WebhookJobData>, data: DeliveryJobData, token: string | undefined): Promise<string> => {
    const read = (subscriptionId: string, intentId: string | undefined) => {
      const view: SubscriptionView = { read: deps.subscriptions.getWithSigningSecrets(subscriptionId) };
      const intent = intentId === undefined ? undefined : deps.intents.getManyEncoded([intentId]).then(([fields]) => fields);
      view.read.catch(() => undefined);
      intent?.catch(() => undefined);
      return { subscriptionId, intentId, view, intent };
    };
    const early = data.subscriptionId === undefined ? undefined : read(data.subscriptionId, data.intentId);
    const delivery = await deps.deliveries.get(data.deliveryId);
    if (!delivery || delivery.status !== 'pending') return 'skipped';
    // One chain per delivery: a job that is not the delivery's current chain (a replay or a
    // recovery replaced it, or a late duplicate add) sends nothing. A record written before
    // chains were recorded names none, and any of its jobs may send.
    if (delivery.jobId !== undefined && job.id !== delivery.jobId) return 'superseded';
    const intentId = payloadNeedsIntent(delivery) ? delivery.intentId : undefined;
    const reads = early && early.subscriptionId === delivery.subscriptionId && early.intentId === intentId ? early : read(delivery.subscriptionId, intentId);
    const slot = await slots.acquire(delivery.subscriptionId);
    if (slot === undefined && token) return stepAside(job, token);
    try {
      return settle(await deliverOnce(delivery, job.attemptsMade + 1, fenceOf(job, job.id ?? currentJobId(delivery), token), reads.view, reads.intent));
    } finally {
      if (slot) slots.release(delivery.subscriptionId, slot);
    }
  };

  /**
   * A job of several deliveries to one subscription (see `deliveryBatchJobDataSchema`): one
   * read of the subscription, the records and the intents; then each delivery's attempt, on as
   * many of the subscription's slots as are free (at least one; one POST at a time per slot,
   * so the receiver sees no more connections than from single jobs). The deliveries share the
   * job's retry chain: when some fail, the job is retried for those alone (the others are no
   * longer pending), after the longest delay any of them asks for.
   */
  const processBatch = async (job: Job<WebhookJobData>, data: DeliveryBatchJobData, token: string | undefined): Promise<string> => {
    const { subscriptionId } = data;
    const jobId = job.id;
    if (jobId === undefined) return 'skipped';
    const view: SubscriptionView = { read: deps.subscriptions.getWithSigningSecrets(subscriptionId) };
    view.read.catch(() => undefined);
    // Only the deliveries whose current chain is this job (as in processOne).
    const mine = (await deps.deliveries.getMany(data.deliveryIds)).filter(
      (d): d is DeliveryRecord => d?.status === 'pending' && d.subscriptionId === subscriptionId && d.jobId === jobId,
    );
    if (mine.length === 0) return 'skipped';
    const withIntent = mine.filter(payloadNeedsIntent);
    const records = deps.intents.getManyEncoded(withIntent.map((d) => d.intentId));
    // Each delivery's intent; a delivery dropped before its payload never awaits its own, so none may reject unhandled.
    const intentOf = new Map(
      withIntent.map((d, i) => {
        const intent = records.then((found) => found[i]);
        intent.catch(() => undefined);
        return [d.id, intent];
      }),
    );
    const first = await slots.acquire(subscriptionId);
    if (first === undefined && token) return stepAside(job, token);
    const held: (Slot | undefined)[] = [first];
    while (first && held.length < mine.length) {
      const extra = slots.tryAcquire(subscriptionId);
      if (!extra) break;
      held.push(extra);
    }

    const fence = fenceOf(job, jobId, token);
    const attempt = job.attemptsMade + 1;
    const outcomes: AttemptOutcome[] = [];
    const errors: unknown[] = [];
    let next = 0;
    const lane = async (slot: Slot | undefined, index: number) => {
      for (let sent = 0; next < mine.length; sent++) {
        // A subscription that turned slow keeps one lane of this job.
        if (index > 0 && slots.isSlow(subscriptionId)) return;
        if (slot && sent > 0) slots.lap(subscriptionId, slot);
        const delivery = mine[next++] as DeliveryRecord;
        try {
          outcomes.push(await deliverOnce(delivery, attempt, fence, view, intentOf.get(delivery.id)));
        } catch (error) {
          // Redis refused a write, say: the job is retried, and this delivery with it.
          errors.push(error);
        }
      }
    };
    try {
      await Promise.all(held.map(lane));
    } finally {
      for (const slot of held) if (slot) slots.release(subscriptionId, slot);
    }
    if (errors.length > 0) throw errors[0];
    const count = (kind: AttemptOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
    const retries = outcomes.flatMap((o) => (o.kind === 'retry' ? [o] : []));
    if (retries.length > 0) {
      throw new RetryDeliveryError(Math.max(...retries.map((r) => r.delayMs)), `${retries.length} of ${mine.length} deliveries to retry: ${retries[0]?.reason}`);
    }
    const failed = outcomes.flatMap((o) => (o.kind === 'failed' ? [o] : []));
    // Every delivery failed for good: the job fails as a single delivery's would.
    if (failed[0] && failed.length === outcomes.length) throw new UnrecoverableError(failed[0].code);
    return `delivered ${count('delivered')}, failed ${failed.length}, dropped ${count('dropped')}, superseded ${count('superseded')}`;
  };

  const processor = (job: Job<WebhookJobData>, token?: string): Promise<string> =>
    isBatchJob(job.data) ? processBatch(job, job.data, token) : processOne(job, job.data, token);

  /** A fenced write that changed nothing because this job no longer owns the delivery: stop without retrying. */
  const lostOwnership = (outcome: FencedOutcome, ctx: Record<string, unknown>): boolean => {
    if (outcome !== 'fence_lost' && outcome !== 'superseded') return false;
    log.info({ ...ctx, outcome }, 'delivery moved on without this attempt (lock lost or replaced by a newer chain)');
    return true;
  };

  /**
   * One attempt of one delivery: payload, signature, POST and its log entry, all writes fenced.
   * `attempt` counts from 1. Failures come back as outcomes; the job turns them into BullMQ's
   * retry or end (see `settle` and `processBatch`).
   */
  const deliverOnce = async (
    delivery: DeliveryRecord,
    attempt: number,
    fence: DeliveryFence,
    view: SubscriptionView,
    intent: Promise<EncodedIntent | undefined> | undefined,
  ): Promise<AttemptOutcome> => {
    const { deliveries, subscriptions } = deps;
    const { subscription, secrets } = await view.read;
    // Every log line of this attempt, in one shape whatever the delivery (an intent id or
    // none); the receiver's answer is filled in when it came, rather than copied into a new object.
    const ctx = {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      intentId: delivery.intentId,
      teamId: delivery.teamId,
      eventType: delivery.eventType,
      attempt,
      responseStatus: undefined as number | undefined,
      latencyMs: undefined as number | undefined,
      error: undefined as string | undefined,
    };
    const observe = (outcome: DeliveryAttemptInfo['outcome'], latencyMs: number): void => {
      try {
        deps.onAttempt?.({ outcome, attempt: ctx.attempt, eventType: delivery.eventType, latencyMs });
      } catch {
        // Observation only: a failing hook never changes a delivery.
      }
    };
    if (!subscription || !subscription.enabled || view.disabled) {
      await deliveries.fail(delivery, fence);
      log.info(ctx, subscription ? 'delivery dropped: subscription disabled' : 'delivery dropped: subscription deleted');
      return { kind: 'dropped' };
    }
    if (subscription.includeSecrets) {
      // Opened secrets travel only over https (an allowlisted loopback receiver excepted), also
      // for a subscription stored before the rule: its delivery fails without sending anything.
      const secure = guard.checkSecretsReceiver(new URL(redactUrl(subscription.url)));
      if (!secure.allowed) {
        const refused: DeliveryAttempt = { at: now().toISOString(), latencyMs: 0, error: { code: 'insecure_receiver', message: secure.reason } };
        if (lostOwnership(await deliveries.recordAttempt(delivery, refused, { status: 'failed' }, fence), ctx)) return { kind: 'superseded' };
        observe('failed', 0);
        log.warn(ctx, 'delivery refused: include_secrets to a receiver that is not https');
        return { kind: 'failed', code: 'insecure_receiver' };
      }
    }
    const body = await buildBody(delivery, subscription, deps.intents, deps.secretBox, intent);
    if (!body || !secrets) {
      await deliveries.fail(delivery, fence);
      log.warn(ctx, 'delivery dropped: its intent has expired');
      return { kind: 'dropped' };
    }
    const at = now();
    const headers = signatureHeaders(secrets, delivery.messageId, Math.floor(at.getTime() / 1000), body);
    const result = await traceDelivery(ctx, () =>
      sendWebhook({ url: subscription.url, body, headers, timeoutMs: settings.timeoutMs, guard, ...(agents ? { agents } : {}) }),
    );
    const failure = describeFailure(result);
    const logEntry: DeliveryAttempt = { at: at.toISOString(), latencyMs: result.latencyMs };
    if (result.status !== undefined) logEntry.responseStatus = result.status;
    if (result.body !== undefined) logEntry.responseBody = result.body;
    if (failure) logEntry.error = failure;
    ctx.responseStatus = result.status;
    ctx.latencyMs = result.latencyMs;
    ctx.error = failure?.code;

    if (!failure) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, logEntry, { status: 'succeeded' }, fence), ctx)) return { kind: 'superseded' };
      // The run of failures ends once per job, not at each of its deliveries.
      if (view.failing ?? subscription.failingSince !== undefined) {
        await subscriptions.recordSuccess(subscription.id);
        view.failing = false;
      }
      observe('delivered', result.latencyMs);
      log.info(ctx, 'webhook delivered');
      return { kind: 'delivered' };
    }
    if (result.status === 410) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, logEntry, { status: 'failed' }, fence), ctx)) return { kind: 'superseded' };
      await subscriptions.disable(subscription.id, `The receiver answered 410 Gone at ${at.toISOString()}; re-enable it with PATCH { "enabled": true }`);
      view.disabled = true;
      observe('failed', result.latencyMs);
      log.warn(ctx, 'subscription disabled: the receiver answered 410');
      return { kind: 'failed', code: '410 Gone' };
    }
    if (failure.code === 'address_refused' || failure.code === 'invalid_url') {
      // The URL itself is the problem: retrying changes nothing; a replay can follow a fix.
      if (lostOwnership(await deliveries.recordAttempt(delivery, logEntry, { status: 'failed' }, fence), ctx)) return { kind: 'superseded' };
      observe('failed', result.latencyMs);
      log.warn(ctx, 'webhook refused by the SSRF guard');
      return { kind: 'failed', code: failure.code };
    }
    const disabled = await subscriptions.recordFailure(subscription.id, settings.disableAfterSeconds);
    view.failing = true;
    if (disabled) view.disabled = true;
    if (disabled || attempt >= schedule.length) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, logEntry, { status: 'failed' }, fence), ctx)) return { kind: 'superseded' };
      observe('failed', result.latencyMs);
      log.warn({ ...ctx, subscriptionDisabled: disabled }, 'webhook failed for good (kept for replay)');
      return { kind: 'failed', code: failure.code };
    }
    let delayMs = scheduledDelay(schedule, attempt);
    if ((result.status === 429 || result.status === 503) && result.retryAfterMs !== undefined) delayMs = Math.max(delayMs, result.retryAfterMs);
    const next = { status: 'pending' as const, nextAttemptAt: new Date(at.getTime() + delayMs) };
    if (lostOwnership(await deliveries.recordAttempt(delivery, logEntry, next, fence), ctx)) return { kind: 'superseded' };
    observe('retrying', result.latencyMs);
    log.info({ ...ctx, retryInMs: delayMs }, 'webhook attempt failed; retrying');
    return { kind: 'retry', delayMs, reason: failure.message };
  };

  const prefix = bullPrefix(deps.keyPrefix);
  const worker = new Worker<WebhookJobData>(WEBHOOKS_QUEUE, processor, {
    connection: deps.connection(),
    prefix,
    concurrency: settings.concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, err?: Error) => {
        if (err instanceof RetryDeliveryError) return err.delayMs;
        if (type === DELIVERY_BACKOFF_TYPE) return scheduledDelay(schedule, attemptsMade);
        return 1000;
      },
    },
  });
  worker.on('error', (err) => log.error({ err: { name: err.name, message: err.message } }, 'webhook dispatcher error'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'webhook delivery stalled (its dispatcher died?); it will be sent again'));
  // A job that failed for good outside the processor's own bookkeeping (stalled too often,
  // an unexpected error on its last try) must not leave its delivery pending forever.
  worker.on('failed', (job) => {
    if (!job) return;
    void (async () => {
      if (!(await job.isFailed()) || job.id === undefined) return;
      const ids = isBatchJob(job.data) ? job.data.deliveryIds : [job.data.deliveryId];
      for (const delivery of await deps.deliveries.getMany(ids)) {
        // Only the deliveries whose current chain this job is: a failed job of a replaced chain says nothing about them.
        if (delivery?.status === 'pending' && (await deps.deliveries.fail(delivery, { jobId: job.id })) === 'done') {
          log.warn({ deliveryId: delivery.id }, 'webhook delivery failed outside its attempts (kept for replay)');
        }
      }
    })().catch((err: unknown) => log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not fail a lost delivery'));
  });

  return {
    worker,
    guard,
    async close() {
      await closeWorker(worker);
      agents?.destroy();
    },
  };
}

/** The `webhooks` queue on a given connection (the API's fail-fast one, or a worker's). */
export function createWebhooksQueue(connection: Redis, keyPrefix: string): Queue<WebhookJobData> {
  return new Queue<WebhookJobData>(WEBHOOKS_QUEUE, { connection, prefix: bullPrefix(keyPrefix) });
}
