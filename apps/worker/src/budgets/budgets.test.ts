import { BudgetStore, migrateToLatest, openDatabase, type BudgetPeriod, type BudgetUnit } from '@neonops/durable-store';
import { bullPrefix, ThresholdMarks } from '@neonops/intents';
import { useTestDatabase, waitUntil } from '@neonops/testing';
import { DEFAULT_WEBHOOK_SETTINGS, DeliveryLog, SubscriptionStore } from '@neonops/webhooks';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startWorkerHistory } from '../history/index.js';
import { createLogger } from '../logger.js';
import { startHarness } from '../test/harness.js';
import { startWorkerWebhooks } from '../webhooks/index.js';
import { startBudgetWatch } from './index.js';
import type { SpendSource } from './spend.js';
import { runBudgetWatch } from './watch.js';

interface ThresholdPayload {
  type: string;
  timestamp: string;
  data: { teamId: string; period: string; threshold: number; unit: string; amount: number; spent: number; at: string };
}

/** Spend that a test sets by hand, per team (the usage store's role; the watch only reads it). */
class SetSpend implements SpendSource {
  readonly spent = new Map<string, number>();
  readonly asked: { teamId: string; period: string; unit: BudgetUnit }[] = [];
  async monthToDate(teamId: string, period: BudgetPeriod, unit: BudgetUnit): Promise<number> {
    this.asked.push({ teamId, period: period.id, unit });
    return this.spent.get(teamId) ?? 0;
  }
}

async function setup() {
  const h = await startHarness();
  const target = useTestDatabase('budgets');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const now = new Date('2026-11-20T10:00:00.000Z');
  const budgets = new BudgetStore(database, () => now);
  const spend = new SetSpend();
  const logger = createLogger({ level: 'silent' });
  const receiver = await startReceiver();
  onTestFinished(() => receiver.close());
  const webhooks = await startWorkerWebhooks({
    connection: () => h.redis.connect(),
    redis: h.redis.connect(),
    keyPrefix: h.redis.prefix,
    store: h.store,
    secretBox: h.box,
    logger,
    settings: { ...DEFAULT_WEBHOOK_SETTINGS, allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 10] },
    relay: { blockMs: 200, reclaimIdleMs: 500 },
  });
  onTestFinished(() => webhooks.close());
  // The history group reads the same outbox: it must take (and acknowledge) the new event type.
  const history = await startWorkerHistory({ connection: () => h.redis.connect(), redis: h.redis.connect(), store: h.store, database, logger, consumer: { blockMs: 200, reclaimIdleMs: 500 } });
  onTestFinished(() => history.close());
  const subscriptions = new SubscriptionStore(h.redis.connect(), { prefix: h.redis.prefix, secretBox: h.box });
  const watch = (marks = new ThresholdMarks(h.redis.connect(), { prefix: h.redis.prefix, ...markMargin })) =>
    runBudgetWatch({ budgets, spend, marks, logger, now: () => now });
  const verified = (secret: string) =>
    receiver.received.map((r) => new Webhook(secret).verify(r.body, r.headers) as ThresholdPayload);
  return { h, budgets, spend, receiver, subscriptions, watch, verified, database, logger, now };
}

// Marks expire by Redis's clock at their period's end plus a margin: a fixed period in the
// past needs a margin that outlives the day the test runs (the default 7 days would run out on 2026-12-08).
const markMargin = { marginSeconds: 100 * 365 * 86_400 };

describe('budget watch', () => {
  it('crossing 50, 80 and 100 % emits one signed usage.threshold_crossed each; running again emits nothing more', async () => {
    const { h, budgets, spend, receiver, subscriptions, watch, verified } = await setup();
    await budgets.put({ teamId: 'team-a', unit: 'usd', amount: 200 });
    await budgets.put({ teamId: 'team-b', unit: 'cu_hours', amount: 10 });
    const usage = await subscriptions.create('team-a', { url: `${receiver.url}/usage`, events: ['usage.*'] });
    // Filters hold: a subscription to intent events only gets none of these.
    await subscriptions.create('team-a', { url: `${receiver.url}/intents`, events: ['intent.*'] });
    const redis = h.redis.connect();

    spend.spent.set('team-a', 99.99); // just under 50 %
    spend.spent.set('team-b', 4);
    expect((await watch()).flatMap((c) => c.emitted)).toEqual([]);
    expect(await redis.xlen(h.store.outboxKey)).toBe(0);

    spend.spent.set('team-a', 100);
    expect((await watch()).find((c) => c.teamId === 'team-a')?.emitted).toEqual([50]);
    await receiver.waitFor(1);

    spend.spent.set('team-a', 170.5); // 85 %
    await watch();
    spend.spent.set('team-a', 250); // 125 %
    const third = await watch();
    expect(third.find((c) => c.teamId === 'team-a')).toMatchObject({ reached: [50, 80, 100], emitted: [100] });
    await receiver.waitFor(3);

    const payloads = verified(usage.secret);
    expect(payloads.map((p) => [p.type, p.data.threshold, p.data.spent])).toEqual([
      ['usage.threshold_crossed', 50, 100],
      ['usage.threshold_crossed', 80, 170.5],
      ['usage.threshold_crossed', 100, 250],
    ]);
    expect(payloads[0]?.data).toEqual({ teamId: 'team-a', period: '2026-11', threshold: 50, unit: 'usd', amount: 200, spent: 100, at: '2026-11-20T10:00:00.000Z' });
    expect(payloads[0]?.timestamp).toBe('2026-11-20T10:00:00.000Z');
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(3);

    // Again and again: nothing new reaches the outbox, so nothing more can be delivered.
    const outboxLength = await redis.xlen(h.store.outboxKey);
    for (let i = 0; i < 3; i++) expect((await watch()).flatMap((c) => c.emitted)).toEqual([]);
    expect(await redis.xlen(h.store.outboxKey)).toBe(outboxLength);
    // Both groups handled every event (the history group acknowledges a type it does not keep).
    await waitUntil(async () => (await redis.xpending(h.store.outboxKey, 'webhooks'))[0] === 0 && (await redis.xpending(h.store.outboxKey, 'history'))[0] === 0);
    const deliveries = new DeliveryLog(redis, { prefix: h.redis.prefix });
    await waitUntil(async () => (await deliveries.list(usage.subscription.id)).items.every((d) => d.status === 'succeeded'));
    expect((await deliveries.list(usage.subscription.id)).items).toHaveLength(3);
    expect(receiver.received).toHaveLength(3);
  });

  it('two watchers racing over the same crossings emit each threshold once', async () => {
    const { h, budgets, spend, receiver, subscriptions, watch, verified } = await setup();
    await budgets.put({ teamId: 'team-a', unit: 'usd', amount: 100, thresholds: [25, 50, 75, 100] });
    const sub = await subscriptions.create('team-a', { url: receiver.url, events: ['usage.threshold_crossed'] });
    spend.spent.set('team-a', 100);
    const runs = await Promise.all(Array.from({ length: 4 }, () => watch()));
    const emitted = runs.flatMap((checks) => checks.flatMap((c) => c.emitted));
    expect(emitted.sort((a, b) => a - b)).toEqual([25, 50, 75, 100]);
    await receiver.waitFor(4);
    expect(await h.redis.connect().xlen(h.store.outboxKey)).toBeLessThanOrEqual(4);
    expect(verified(sub.secret).map((p) => p.data.threshold).sort((a, b) => a - b)).toEqual([25, 50, 75, 100]);
  });

  it('runs as a job scheduler: one tick per interval for the deployment, whatever the number of processes', async () => {
    const { h, budgets, spend, database, logger, now } = await setup();
    await budgets.put({ teamId: 'team-a', unit: 'usd', amount: 10 });
    spend.spent.set('team-a', 11);
    const ticks: number[] = [];
    const watchers = await Promise.all(
      [0, 1, 2].map(() =>
        startBudgetWatch({
          connection: () => h.redis.connect(),
          keyPrefix: h.redis.prefix,
          budgets: new BudgetStore(database),
          spend,
          marks: new ThresholdMarks(h.redis.connect(), { prefix: h.redis.prefix, ...markMargin }),
          logger,
          intervalMs: 200,
          now: () => now,
          onTick: (checks) => void ticks.push(checks.flatMap((c) => c.emitted).length),
        }),
      ),
    );
    onTestFinished(async () => {
      await Promise.all(watchers.map((w) => w.close()));
    });
    await waitUntil(() => ticks.length >= 4);
    // All thresholds on the first tick, by whichever process ran it; none after.
    expect(ticks.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await h.redis.connect().xlen(h.store.outboxKey)).toBe(3);
    // One scheduler for the deployment, not one per process.
    const queue = new Queue('budgets', { connection: h.redis.connect(), prefix: bullPrefix(h.redis.prefix) });
    onTestFinished(() => queue.close());
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual(['budget-watch']);
  });
});
