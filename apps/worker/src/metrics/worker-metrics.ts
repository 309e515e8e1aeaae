import { LATENCY_BUCKETS, LONG_BUCKETS, MetricFamilies, NeonCallMetrics } from '@neonops/observability';
import type { DeliveryAttemptInfo } from '@neonops/webhooks';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WorkerHooks } from '../engine/run-intent.js';

/** BullMQ job states reported per queue by `neonops_queue_jobs`. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'failed', 'completed'] as const;

/** What the gauges read at each scrape. Each read is bounded by `timeoutMs`; a failed one leaves its gauge empty. */
export interface WorkerMetricSources {
  /** Queues whose job counts are reported (the `intents` and `webhooks` queues). */
  queues: readonly Queue[];
  /** A command connection that fails fast (no offline queue): a scrape must never hang on a Redis that is away. */
  redis: Redis;
  /** The outbox stream, for the lag of its consumer groups. */
  outboxKey: string;
  /** The shared Neon rate budget. */
  rateBudget: { usage(): Promise<{ used: number; capacity: number; paused: boolean }> };
  /** Longest read per source and scrape, in ms. Default 1000. */
  timeoutMs?: number;
}

/** Highest attempt number used as a label value; later attempts count as `<max>+`. */
const MAX_ATTEMPT_LABEL = 10;

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

/** Reads `XINFO GROUPS` replies (flat field/value arrays) into records. */
function parseGroups(reply: unknown): { name: string; pending: number; lag: number | undefined }[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((group: unknown) => {
    const fields = new Map<string, unknown>();
    const flat = Array.isArray(group) ? (group as unknown[]) : [];
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
    const lag = fields.get('lag');
    return { name: String(fields.get('name')), pending: Number(fields.get('pending') ?? 0), lag: lag === null || lag === undefined ? undefined : Number(lag) };
  });
}

/**
 * The worker process's metric families. Labels are kinds, teams (a configured, bounded set),
 * outcomes, reasons (error codes), route templates, queue names and states: never an intent,
 * project or delivery id.
 */
export class WorkerMetrics {
  readonly neon: NeonCallMetrics;
  readonly intentsFinished: Counter<'kind' | 'team' | 'outcome'>;
  readonly intentDuration: Histogram<'kind' | 'outcome'>;
  readonly operationWait: Histogram<'kind'>;
  readonly stepRetries: Counter<'kind' | 'reason'>;
  readonly lockWaits: Counter<'kind'>;
  readonly operationsPolled: Counter<'kind'>;
  readonly webhookDeliveries: Counter<'outcome' | 'attempt'>;
  readonly webhookDuration: Histogram<'outcome'>;
  /** Created by {@link watch}, after the gauges, so that a scrape shows the failures of its own reads. */
  collectErrors: Counter<'source'> | undefined;

  constructor(readonly registry: Registry) {
    const families = new MetricFamilies(registry);
    this.neon = new NeonCallMetrics(registry);
    this.intentsFinished = families.counter(
      'neonops_intents_finished_total',
      'Intents that reached a terminal status, by kind, team and outcome (succeeded, failed, cancelled).',
      ['kind', 'team', 'outcome'],
    );
    this.intentDuration = families.histogram('neonops_intent_duration_seconds', 'Time from an intent’s submission to its end, by kind and outcome.', ['kind', 'outcome'], LONG_BUCKETS);
    this.operationWait = families.histogram(
      'neonops_neon_operation_wait_seconds',
      'Time intents waited on Neon operations (per batch of a step, from the operations’ creation to their end), by kind.',
      ['kind'],
      LONG_BUCKETS,
    );
    this.stepRetries = families.counter(
      'neonops_step_retries_total',
      'Steps that failed with a retryable error and were retried later (the slot freed meanwhile), by kind and reason (error code).',
      ['kind', 'reason'],
    );
    this.lockWaits = families.counter('neonops_project_lock_waits_total', 'Times a mutating step found its project locked by another intent and waited, by kind.', ['kind']);
    this.operationsPolled = families.counter('neonops_operations_polled_total', 'Neon operations read while waiting for them to end, by kind.', ['kind']);
    this.webhookDeliveries = families.counter(
      'neonops_webhook_deliveries_total',
      `Webhook delivery attempts by outcome (delivered, retrying, failed) and attempt number (${MAX_ATTEMPT_LABEL}+ beyond).`,
      ['outcome', 'attempt'],
    );
    this.webhookDuration = families.histogram(
      'neonops_webhook_delivery_duration_seconds',
      'Time to the receiver’s answer (or failure) of a webhook attempt, by outcome.',
      ['outcome'],
      LATENCY_BUCKETS,
    );
  }

  /** Engine hooks that count intents, retries, lock waits and polls. */
  hooks(): WorkerHooks {
    return {
      onFinished: (info) => {
        this.intentsFinished.inc({ kind: info.kind, team: info.teamId ?? 'unknown', outcome: info.status });
        if (info.durationMs !== undefined) this.intentDuration.observe({ kind: info.kind, outcome: info.status }, Math.max(0, info.durationMs) / 1000);
      },
      onStepRetry: (info) => this.stepRetries.inc({ kind: info.kind, reason: info.reason }),
      onLockWait: (info) => this.lockWaits.inc({ kind: info.kind }),
      onOperationsPolled: (info) => this.operationsPolled.inc({ kind: info.kind }, info.polled),
      onOperationsDone: (info) => this.operationWait.observe({ kind: info.kind }, info.waitedMs / 1000),
    };
  }

  /** The dispatcher's `onAttempt`. */
  readonly onDeliveryAttempt = (info: DeliveryAttemptInfo): void => {
    const attempt = info.attempt >= MAX_ATTEMPT_LABEL ? `${MAX_ATTEMPT_LABEL}+` : String(info.attempt);
    this.webhookDeliveries.inc({ outcome: info.outcome, attempt });
    this.webhookDuration.observe({ outcome: info.outcome }, info.latencyMs / 1000);
  };

  /**
   * Gauges read at each scrape: queue depths per state, the outbox consumer groups' lag and
   * pending entries, and the shared Neon rate budget (used vs capacity). Call once.
   */
  watch(sources: WorkerMetricSources): void {
    const families = new MetricFamilies(this.registry);
    const timeoutMs = sources.timeoutMs ?? 1000;
    const countError = (source: string): void => this.collectErrors?.inc({ source });
    /** Runs one read; on failure the gauge stays empty for this scrape and the failure is counted. */
    const reads = new Set<Promise<void>>();
    const read = (gauge: Gauge, source: string, fill: () => Promise<void>): Promise<void> => {
      gauge.reset();
      const done = withTimeout(fill(), timeoutMs).catch(() => {
        gauge.reset();
        countError(source);
      });
      // The error counter is collected with the gauges (prom-client gets them all at once): it waits for their reads.
      reads.add(done);
      void done.finally(() => reads.delete(done));
      return done;
    };
    families.gauge('neonops_queue_jobs', 'Jobs per BullMQ queue and state (intents, webhooks).', ['queue', 'state'], async function () {
      await read(this, 'queues', async () => {
        const counts = await Promise.all(sources.queues.map(async (queue) => ({ queue: queue.name, counts: await queue.getJobCounts(...QUEUE_STATES) })));
        for (const { queue, counts: byState } of counts) for (const state of QUEUE_STATES) this.set({ queue, state }, byState[state] ?? 0);
      });
    });
    // One read serves the gauges of a source within a scrape (they are collected one after another).
    const outbox = fresh(async () => {
      const reply = await sources.redis.call('XINFO', 'GROUPS', sources.outboxKey).catch((err: unknown) => {
        // No stream yet (nothing ever finished): no groups to report.
        if (err instanceof Error && /no such key/i.test(err.message)) return [];
        throw err;
      });
      return parseGroups(reply);
    });
    families.gauge('neonops_outbox_lag', 'Outbox events not yet read by each consumer group (webhooks, history).', ['group'], async function () {
      await read(this, 'outbox', async () => {
        for (const group of await outbox()) if (group.lag !== undefined) this.set({ group: group.name }, group.lag);
      });
    });
    families.gauge('neonops_outbox_pending', 'Outbox events read by each consumer group but not yet handled (acknowledged).', ['group'], async function () {
      await read(this, 'outbox', async () => {
        for (const group of await outbox()) this.set({ group: group.name }, group.pending);
      });
    });
    const usage = fresh(() => sources.rateBudget.usage());
    const budgetGauge = (name: string, help: string, value: (usage: { used: number; capacity: number; paused: boolean }) => number): void =>
      void families.gauge(name, help, [], async function () {
        await read(this, 'rate_budget', async () => this.set(value(await usage())));
      });
    budgetGauge('neonops_neon_rate_budget_used', 'Neon requests admitted by the shared budget (every worker) in the last rolling minute.', (u) => u.used);
    budgetGauge('neonops_neon_rate_budget_capacity', 'Neon requests the shared budget allows per rolling minute now (shrunk for a while after a 429).', (u) => u.capacity);
    budgetGauge('neonops_neon_rate_budget_paused', '1 while a 429 pauses every worker’s Neon requests.', (u) => (u.paused ? 1 : 0));
    this.collectErrors = families.counter(
      'neonops_metrics_collect_errors_total',
      'Gauge reads that failed during a scrape (Redis away or slow), by source; those gauges are left empty.',
      ['source'],
      async () => {
        await Promise.all([...reads]);
      },
    );
  }
}

/** A read shared by the calls within `maxAgeMs` of each other (the gauges of one scrape). */
function fresh<T>(load: () => Promise<T>, maxAgeMs = 250): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = performance.now();
    if (last && now - last.at <= maxAgeMs) return last.value;
    const entry = { at: now, value: load() };
    last = entry;
    // A failed read is not kept: the next gauge (or scrape) tries again.
    entry.value.catch(() => {
      if (last === entry) last = undefined;
    });
    return entry.value;
  };
}

/** Both hook sets, each called in turn (metrics and a caller's own hooks). */
export function combineHooks(...sets: (WorkerHooks | undefined)[]): WorkerHooks {
  const present = sets.filter((s): s is WorkerHooks => s !== undefined);
  const combined: WorkerHooks = {};
  const names = new Set(present.flatMap((s) => Object.keys(s))) as Set<keyof WorkerHooks>;
  for (const name of names) {
    const fns = present.map((s) => s[name]).filter((fn) => fn !== undefined) as ((info: never) => unknown)[];
    // Synchronous hooks stay synchronous (the engine does not await all of them); a promise chains the next.
    (combined as Record<string, unknown>)[name] = (info: never): unknown => {
      let result: unknown;
      for (const fn of fns) result = result instanceof Promise ? result.then(() => fn(info)) : fn(info);
      return result;
    };
  }
  return combined;
}
