/**
 * Part 5 — outbox: the time from an intent's end (`IntentStore.finish`) to its webhook
 * delivery being recorded and queued, through the outbox (finish writes the event in its
 * script; the relay reads it with `XREADGROUP` and publishes), next to the previous path
 * (publish called in process right after finish, as the worker's `onFinished` hook did,
 * fire-and-forget). Both in this process, same Redis, alternating rounds; one event at a
 * time for the latency, then a burst for the rate.
 */
import { IntentStore, OutboxConsumer, queuedIntentRecord, SecretBox, type IntentRecord } from '@neonops/intents';
import { createWebhooksQueue, DeliveryLog, SubscriptionStore, WebhookPublisher } from '@neonops/webhooks';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { fmt, percentile } from '../stats.js';
import type { Row } from '../table.js';

export interface OutboxOptions {
  /** Events timed one at a time, per path and round. Default 400. */
  events: number;
  /** Events finished at once for the rate, per path and round. Default 2000. */
  burst: number;
}

type Path = 'outbox' | 'direct';

export async function runOutbox(ctx: BenchContext, options: OutboxOptions): Promise<Row[]> {
  const prefix = ctx.prefix('outbox');
  const redis = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const connections = [redis];
  const connect = () => {
    const c = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const store = new IntentStore(redis, { prefix });
  const subscriptions = new SubscriptionStore(redis, { prefix, secretBox: new SecretBox(SecretBox.generateKey()) });
  const queue = createWebhooksQueue(connect(), prefix);
  // Queued at the time the delivery job was added: the moment "its event's enqueue".
  const queuedAt = new Map<string, number>();
  let onQueued: (() => void) | undefined;
  const publisher = new WebhookPublisher({
    subscriptions,
    deliveries: new DeliveryLog(redis, { prefix }),
    queue,
    // Far in the future: nothing dispatches meanwhile (no dispatcher runs), the job only waits.
    firstDelayMs: 3_600_000,
    afterDelivery: (delivery) => {
      if (delivery.intentId) queuedAt.set(delivery.intentId, performance.now());
      onQueued?.();
    },
  });
  await subscriptions.create('bench', { url: 'https://receiver.example/hook', events: ['intent.*'] });
  // Events of the direct path reach the relay too (finish always writes the outbox): it skips them.
  const directIds = new Set<string>();
  const relay = new OutboxConsumer({
    blocking: connect(),
    redis,
    key: store.outboxKey,
    group: 'webhooks',
    logger: { warn: () => undefined, error: (obj, msg) => console.error(msg, obj) },
    handle: async (event) => {
      // Only intent events here (usage events are the budget watch's).
      if (event.type !== 'intent.finished' || directIds.has(event.intentId)) return;
      await publisher.publishIntentEnd({ teamId: event.teamId, intentId: event.intentId, status: event.status, at: new Date(event.at) });
    },
  });
  await relay.start();

  const newIntent = async (): Promise<IntentRecord> => {
    const record: IntentRecord = { ...queuedIntentRecord({ teamId: 'bench', kind: 'branch.delete', params: { projectId: 'p-bench', branchId: 'br-bench' } }), status: 'running' };
    await store.create(record);
    return record;
  };
  const waitQueued = (ids: string[]) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (ids.every((id) => queuedAt.has(id))) {
          onQueued = undefined;
          resolve();
        }
      };
      onQueued = check;
      check();
    });
  const finish = async (path: Path, record: IntentRecord): Promise<void> => {
    await store.finish(record.id, 'succeeded', { result: { branchId: 'br-bench', deleted: true } }, { owner: record });
    // The previous path: the worker's onFinished hook published in process, not awaited by the job.
    if (path === 'direct') void publisher.publishIntentEnd({ teamId: 'bench', intentId: record.id, status: 'succeeded', at: new Date() });
  };

  const latencies: Record<Path, number[]> = { outbox: [], direct: [] };
  const rates: Record<Path, number[]> = { outbox: [], direct: [] };
  try {
    for (let round = 0; round < 2; round++) {
      for (const path of ['direct', 'outbox'] as const) {
        for (let i = 0; i < options.events; i++) {
          const record = await newIntent();
          if (path === 'direct') directIds.add(record.id);
          const t0 = performance.now();
          await finish(path, record);
          await waitQueued([record.id]);
          latencies[path].push((queuedAt.get(record.id) ?? t0) - t0);
        }
        const burst = await Promise.all(Array.from({ length: options.burst }, newIntent));
        if (path === 'direct') for (const r of burst) directIds.add(r.id);
        const t0 = performance.now();
        await Promise.all(burst.map((r) => finish(path, r)));
        await waitQueued(burst.map((r) => r.id));
        rates[path].push(options.burst / ((performance.now() - t0) / 1000));
      }
    }
  } finally {
    await relay.close();
    await queue.close();
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    await ctx.cleanup(prefix);
  }

  const stats = (path: Path) => {
    const sorted = [...latencies[path]].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), rate: Math.max(...rates[path]) };
  };
  const outbox = stats('outbox');
  const direct = stats('direct');
  return [
    {
      part: '5 outbox',
      metric: 'intent end → delivery queued, through the outbox',
      value: `p50 ${fmt.ms(outbox.p50)}`,
      note: `p99 ${fmt.ms(outbox.p99)}; ${fmt.int(outbox.rate)} events/s in a burst of ${options.burst}`,
    },
    {
      part: '5 outbox',
      metric: 'intent end → delivery queued, previous path (publish after finish)',
      value: `p50 ${fmt.ms(direct.p50)}`,
      note: `p99 ${fmt.ms(direct.p99)}; ${fmt.int(direct.rate)} events/s; an event was lost if the process died in between`,
    },
    {
      part: '5 outbox',
      metric: 'ratio p50 outbox / previous',
      value: fmt.ratio(outbox.p50 / direct.p50),
      note: `p99 ${fmt.ratio(outbox.p99 / direct.p99)}; rate ${fmt.ratio(outbox.rate / direct.rate)} (aim: latency ≤ 1.1×, rate ≥ 0.9×)`,
    },
  ];
}
