import { bullPrefix, type IntentRecord, type IntentStore, type SecretBox } from '@neonops/intents';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from './config.js';
import { currentJobId, type DeliveryFence, type DeliveryLog, type FencedOutcome } from './delivery-log.js';
import { buildPayload, payloadNeedsIntent } from './payload.js';
import { DELIVERY_BACKOFF_TYPE } from './publisher.js';
import { redactUrl, WEBHOOKS_QUEUE, type DeliveryAttempt, type DeliveryJobData, type DeliveryRecord, type SubscriptionRecord } from './schemas.js';
import { createDeliveryAgents, sendWebhook, type SendResult } from './sender.js';
import { signatureHeaders } from './signing.js';
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
  readonly worker: Worker<DeliveryJobData>;
  readonly guard: SsrfGuard;
  close(): Promise<void>;
}

/** The delay before the attempt after `attemptsMade` failed ones, from the schedule (its last entry beyond it). */
export function scheduledDelay(schedule: readonly number[], attemptsMade: number): number {
  return schedule[Math.min(attemptsMade, schedule.length - 1)] ?? 0;
}

const tracer = trace.getTracer('@neonops/webhooks');

/** The reads one delivery starts (see `startReads` in {@link createWebhookDispatcher}). */
interface Reads {
  subscriptionId: string;
  intentId: string | undefined;
  subscription: Promise<{ subscription?: SubscriptionRecord; secrets?: string[] }>;
  intent: Promise<IntentRecord | undefined> | undefined;
}

/**
 * One span per delivery attempt (`webhook delivery`), with the delivery, subscription, intent,
 * team, event type, attempt and the receiver's status; never the URL (it may hold a token) nor
 * the body. Without a registered tracer provider (`OTEL_EXPORTER_OTLP_ENDPOINT` unset) it is
 * OpenTelemetry's no-op span.
 */
async function traceDelivery(
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
  return tracer.startActiveSpan('webhook delivery', { kind: SpanKind.CLIENT, attributes }, async (span) => {
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
 * The dispatcher: a BullMQ worker on the `webhooks` queue sending one signed POST per job
 * attempt. Retries follow the schedule through BullMQ's custom backoff (no scheduler of our
 * own); `Retry-After` of a 429/503 stretches the next delay; 410 disables the subscription;
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

  const maxInFlight = options.maxInFlightPerSubscription ?? Math.max(1, Math.floor(settings.concurrency / 2));
  const maxSlowInFlight = options.maxSlowInFlightPerSubscription ?? 2;
  const slowMs = options.slowAttemptMs ?? Math.min(1000, settings.timeoutMs / 4);
  /** Start times of this process's attempts per subscription, and whether its last attempt was slow. */
  const inFlight = new Map<string, number[]>();
  const lastWasSlow = new Set<string>();
  const waiters = new Map<string, Set<() => void>>();
  const isSlow = (subscriptionId: string, starts: number[]) => lastWasSlow.has(subscriptionId) || starts.some((t) => performance.now() - t > slowMs);
  /**
   * A slot for one attempt to the subscription. A fast subscription at its limit frees a slot
   * within milliseconds, so the job waits for it here (at most `slowMs`) rather than churning
   * through the delayed set; a slow one gets no wait. Undefined: step aside.
   */
  const acquire = async (subscriptionId: string): Promise<number | undefined> => {
    const deadline = performance.now() + slowMs;
    // A new attempt queues behind the ones already waiting (a freed slot is theirs: see `release`).
    let waited = false;
    for (;;) {
      const starts = inFlight.get(subscriptionId) ?? [];
      const slow = isSlow(subscriptionId, starts);
      const ahead = waited ? 0 : (waiters.get(subscriptionId)?.size ?? 0);
      if (ahead === 0 && starts.length < (slow ? Math.min(maxSlowInFlight, maxInFlight) : maxInFlight)) {
        const started = performance.now();
        starts.push(started);
        inFlight.set(subscriptionId, starts);
        return started;
      }
      const remaining = deadline - performance.now();
      if (slow || remaining <= 0) return undefined;
      waited = true;
      await new Promise<void>((resolve) => {
        const set = waiters.get(subscriptionId) ?? new Set();
        waiters.set(subscriptionId, set);
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          if (set.size === 0) waiters.delete(subscriptionId);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        set.add(wake);
      });
    }
  };
  const release = (subscriptionId: string, started: number) => {
    if (performance.now() - started > slowMs) lastWasSlow.add(subscriptionId);
    else lastWasSlow.delete(subscriptionId);
    const starts = inFlight.get(subscriptionId) ?? [];
    starts.splice(starts.indexOf(started), 1);
    if (starts.length === 0) inFlight.delete(subscriptionId);
    const set = waiters.get(subscriptionId);
    if (!set) return;
    // Slow now: every waiter steps aside (they see it when they wake). Otherwise the freed slot
    // goes to the longest waiting attempt alone: waking all of them had each re-check and
    // re-arm its timer on every release, most of them for nothing.
    if (isSlow(subscriptionId, starts)) for (const wake of [...set]) wake();
    else set.values().next().value?.();
  };

  /**
   * What a delivery reads besides its record: the subscription with its signing secrets (one
   * command) and the intent, started at once. A job that names the delivery's subscription and
   * intent (see `deliveryJobDataSchema`) starts them with the delivery's own read: one
   * round-trip wait before the POST instead of two. The secrets and the intent go unused when
   * the delivery is dropped or refused.
   */
  const startReads = (subscriptionId: string, intentId: string | undefined): Reads => {
    const intent = intentId === undefined ? undefined : deps.intents.get(intentId);
    const subscription = deps.subscriptions.getWithSigningSecrets(subscriptionId);
    intent?.catch(() => undefined);
    subscription.catch(() => undefined);
    return { subscriptionId, intentId, subscription, intent };
  };

  const processor = async (job: Job<DeliveryJobData>, token?: string): Promise<string> => {
    const early = job.data.subscriptionId === undefined ? undefined : startReads(job.data.subscriptionId, job.data.intentId);
    const delivery = await deps.deliveries.get(job.data.deliveryId);
    if (!delivery || delivery.status !== 'pending') return 'skipped';
    // One chain per delivery: a job that is not the delivery's current chain (a replay or a
    // recovery replaced it, or a late duplicate add) sends nothing. A record written before
    // chains were recorded names none, and any of its jobs may send.
    if (delivery.jobId !== undefined && job.id !== delivery.jobId) return 'superseded';
    const intentId = payloadNeedsIntent(delivery) ? delivery.intentId : undefined;
    const reads = early && early.subscriptionId === delivery.subscriptionId && early.intentId === intentId ? early : startReads(delivery.subscriptionId, intentId);
    const started = await acquire(delivery.subscriptionId);
    if (started === undefined && token) {
      // This subscription already holds its share of slots: step aside without using an attempt.
      const wait = options.inFlightRetryDelayMs ?? 250;
      await job.moveToDelayed(Date.now() + wait + Math.floor(Math.random() * wait), token);
      throw new DelayedError();
    }
    // Writes are fenced by this job's lock: a dispatcher whose lock expired (the job went to
    // another one) cannot move the delivery's status anymore.
    const fence: DeliveryFence = { jobId: job.id ?? currentJobId(delivery), ...(token ? { token, lockKey: `${job.queueQualifiedName}:${job.id}:lock` } : {}) };
    try {
      return await deliverOnce(job, delivery, fence, reads);
    } finally {
      if (started !== undefined) release(delivery.subscriptionId, started);
    }
  };

  /** A fenced write that changed nothing because this job no longer owns the delivery: stop without retrying. */
  const lostOwnership = (outcome: FencedOutcome, ctx: Record<string, unknown>): boolean => {
    if (outcome !== 'fence_lost' && outcome !== 'superseded') return false;
    log.info({ ...ctx, outcome }, 'delivery moved on without this attempt (lock lost or replaced by a newer chain)');
    return true;
  };

  const deliverOnce = async (job: Job<DeliveryJobData>, delivery: DeliveryRecord, fence: DeliveryFence, reads: Reads): Promise<string> => {
    const { deliveries, subscriptions } = deps;
    const { intent } = reads;
    const { subscription, secrets } = await reads.subscription;
    const ctx = {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscriptionId,
      ...(delivery.intentId === undefined ? {} : { intentId: delivery.intentId }),
      teamId: delivery.teamId,
      eventType: delivery.eventType,
      attempt: job.attemptsMade + 1,
    };
    const observe = (outcome: DeliveryAttemptInfo['outcome'], latencyMs: number): void => {
      try {
        deps.onAttempt?.({ outcome, attempt: ctx.attempt, eventType: delivery.eventType, latencyMs });
      } catch {
        // Observation only: a failing hook never changes a delivery.
      }
    };
    if (!subscription || !subscription.enabled) {
      await deliveries.fail(delivery, fence);
      log.info(ctx, subscription ? 'delivery dropped: subscription disabled' : 'delivery dropped: subscription deleted');
      return 'dropped';
    }
    if (subscription.includeSecrets) {
      // Opened secrets travel only over https (an allowlisted loopback receiver excepted), also
      // for a subscription stored before the rule: its delivery fails without sending anything.
      const secure = guard.checkSecretsReceiver(new URL(redactUrl(subscription.url)));
      if (!secure.allowed) {
        const refused: DeliveryAttempt = { at: now().toISOString(), latencyMs: 0, error: { code: 'insecure_receiver', message: secure.reason } };
        if (lostOwnership(await deliveries.recordAttempt(delivery, refused, { status: 'failed' }, fence), ctx)) return 'superseded';
        observe('failed', 0);
        log.warn(ctx, 'delivery refused: include_secrets to a receiver that is not https');
        throw new UnrecoverableError('insecure_receiver');
      }
    }
    const payload = await buildPayload(delivery, subscription, deps.intents, deps.secretBox, intent);
    if (!payload || !secrets) {
      await deliveries.fail(delivery, fence);
      log.warn(ctx, 'delivery dropped: its intent has expired');
      return 'dropped';
    }
    const body = JSON.stringify(payload);
    const at = now();
    const headers = signatureHeaders(secrets, delivery.messageId, Math.floor(at.getTime() / 1000), body);
    const result = await traceDelivery(ctx, () =>
      sendWebhook({ url: subscription.url, body, headers, timeoutMs: settings.timeoutMs, guard, ...(agents ? { agents } : {}) }),
    );
    const failure = describeFailure(result);
    const attempt: DeliveryAttempt = {
      at: at.toISOString(),
      ...(result.status === undefined ? {} : { responseStatus: result.status }),
      latencyMs: result.latencyMs,
      ...(result.body === undefined ? {} : { responseBody: result.body }),
      ...(failure ? { error: failure } : {}),
    };
    const logged = { ...ctx, responseStatus: result.status, latencyMs: result.latencyMs, error: failure?.code };

    if (!failure) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, attempt, { status: 'succeeded' }, fence), logged)) return 'superseded';
      if (subscription.failingSince) await subscriptions.recordSuccess(subscription.id);
      observe('delivered', result.latencyMs);
      log.info(logged, 'webhook delivered');
      return 'delivered';
    }
    if (result.status === 410) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, attempt, { status: 'failed' }, fence), logged)) return 'superseded';
      await subscriptions.disable(subscription.id, `The receiver answered 410 Gone at ${at.toISOString()}; re-enable it with PATCH { "enabled": true }`);
      observe('failed', result.latencyMs);
      log.warn(logged, 'subscription disabled: the receiver answered 410');
      throw new UnrecoverableError('410 Gone');
    }
    if (failure.code === 'address_refused' || failure.code === 'invalid_url') {
      // The URL itself is the problem: retrying changes nothing; a replay can follow a fix.
      if (lostOwnership(await deliveries.recordAttempt(delivery, attempt, { status: 'failed' }, fence), logged)) return 'superseded';
      observe('failed', result.latencyMs);
      log.warn(logged, 'webhook refused by the SSRF guard');
      throw new UnrecoverableError(failure.code);
    }
    const disabled = await subscriptions.recordFailure(subscription.id, settings.disableAfterSeconds);
    const attemptsMade = job.attemptsMade + 1;
    if (disabled || attemptsMade >= schedule.length) {
      if (lostOwnership(await deliveries.recordAttempt(delivery, attempt, { status: 'failed' }, fence), logged)) return 'superseded';
      observe('failed', result.latencyMs);
      log.warn({ ...logged, subscriptionDisabled: disabled }, 'webhook failed for good (kept for replay)');
      throw new UnrecoverableError(failure.code);
    }
    let delayMs = scheduledDelay(schedule, attemptsMade);
    if ((result.status === 429 || result.status === 503) && result.retryAfterMs !== undefined) delayMs = Math.max(delayMs, result.retryAfterMs);
    const next = { status: 'pending' as const, nextAttemptAt: new Date(at.getTime() + delayMs) };
    if (lostOwnership(await deliveries.recordAttempt(delivery, attempt, next, fence), logged)) return 'superseded';
    observe('retrying', result.latencyMs);
    log.info({ ...logged, retryInMs: delayMs }, 'webhook attempt failed; retrying');
    throw new RetryDeliveryError(delayMs, failure.message);
  };

  const prefix = bullPrefix(deps.keyPrefix);
  const worker = new Worker<DeliveryJobData>(WEBHOOKS_QUEUE, processor, {
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
      if (!(await job.isFailed())) return;
      const delivery = await deps.deliveries.get(job.data.deliveryId);
      // Only the delivery's current chain: a failed job of a replaced chain says nothing about it.
      if (delivery?.status === 'pending' && job.id !== undefined && (await deps.deliveries.fail(delivery, { jobId: job.id })) === 'done') {
        log.warn({ deliveryId: delivery.id }, 'webhook delivery failed outside its attempts (kept for replay)');
      }
    })().catch((err: unknown) => log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not fail a lost delivery'));
  });

  return {
    worker,
    guard,
    async close() {
      await worker.close();
      agents?.destroy();
    },
  };
}

/** The `webhooks` queue on a given connection (the API's fail-fast one, or a worker's). */
export function createWebhooksQueue(connection: Redis, keyPrefix: string): Queue<DeliveryJobData> {
  return new Queue<DeliveryJobData>(WEBHOOKS_QUEUE, { connection, prefix: bullPrefix(keyPrefix) });
}
