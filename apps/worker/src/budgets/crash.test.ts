import { BudgetStore, budgetPeriodOf, migrateToLatest, openDatabase, UsageStore } from '@neonops/durable-store';
import { bullPrefix, ThresholdMarks } from '@neonops/intents';
import { useTestDatabase, waitUntil } from '@neonops/testing';
import { SubscriptionStore } from '@neonops/webhooks';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Queue } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHarness, TEST_SECRETS_KEY } from '../test/harness.js';
import { spawnWorker } from '../test/spawn.js';
import { BUDGETS_QUEUE } from './index.js';

describe('a worker killed in the middle of a budget watch tick', () => {
  it.each(['budget.before_emit', 'budget.after_emit'])(
    'at %s: three workers after it announce what is missing, each threshold reaches the receiver once',
    { timeout: 60_000 },
    async (crashAt) => {
      const h = await startHarness();
      const target = useTestDatabase('budget-crash');
      const database = await openDatabase({ url: target.url, schema: target.schema });
      onTestFinished(() => database.close());
      await migrateToLatest(database);
      // 10.8 CU-hours this month against a 10 CU-hour budget: 50, 80 and 100 % at once.
      await new BudgetStore(database).put({ teamId: 'team-a', unit: 'cu_hours', amount: 10 });
      // Every worker of the test measures the month the test started in (BUDGET_CLOCK), also
      // when the test runs across that month's end.
      const clock = new Date();
      const { start, id: period } = budgetPeriodOf(clock);
      await new UsageStore(database).upsert([
        { projectId: 'p-1', branchId: '', hour: start, teamId: 'team-a', metrics: { compute_unit_seconds: 10.8 * 3600 } },
      ]);
      const receiver = await startReceiver();
      onTestFinished(() => receiver.close());
      const subscriptions = new SubscriptionStore(h.redis.connect(), { prefix: h.redis.prefix, secretBox: h.box });
      const { secret } = await subscriptions.create('team-a', { url: receiver.url, events: ['usage.*'] });

      const env = {
        REDIS_URL: h.redis.url,
        KEY_PREFIX: h.redis.prefix,
        NEON_API_KEY: h.sim.apiKey,
        NEON_BASE_URL: h.sim.url,
        SECRETS_KEY: TEST_SECRETS_KEY,
        ...target.env,
        BUDGET_WATCH_INTERVAL_MS: '200',
        WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
        LOG_LEVEL: 'warn',
        BUDGET_CLOCK: clock.toISOString(),
      };
      const doomed = spawnWorker('test/worker-process.ts', { ...env, CRASH_AT: crashAt });
      const { signal } = await doomed.exited;
      expect(signal).toBe('SIGKILL');
      expect(doomed.output()).toContain(`crashing at ${crashAt}`);
      const redis = h.redis.connect();
      const marks = new ThresholdMarks(redis, { prefix: h.redis.prefix });
      // Killed after the first threshold's script, or before it: announced once, or not at all.
      expect((await marks.announced('team-a', period)).map((m) => m.threshold)).toEqual(crashAt === 'budget.after_emit' ? [50] : []);

      // Three workers take over: the schedule runs once per tick among them.
      for (let i = 0; i < 3; i++) spawnWorker('test/worker-process.ts', env);
      await receiver.waitFor(3, 30_000);
      // The survivor runs several more ticks (completed jobs of the budgets queue): nothing more is announced.
      const budgetsQueue = new Queue(BUDGETS_QUEUE, { connection: h.redis.connect(), prefix: bullPrefix(h.redis.prefix) });
      onTestFinished(() => budgetsQueue.close());
      const completedAtThree = (await budgetsQueue.getJobCounts('completed')).completed ?? 0;
      await waitUntil(async () => ((await budgetsQueue.getJobCounts('completed')).completed ?? 0) >= Math.min(10, completedAtThree + 3));
      await waitUntil(async () => (await redis.xpending(h.store.outboxKey, 'webhooks'))[0] === 0);
      expect((await marks.announced('team-a', period)).map((m) => m.threshold)).toEqual([50, 80, 100]);
      expect(receiver.received).toHaveLength(3);
      const thresholds = receiver.received.map((r) => (new Webhook(secret).verify(r.body, r.headers) as { data: { threshold: number } }).data.threshold);
      expect(thresholds.sort((a, b) => a - b)).toEqual([50, 80, 100]);
      expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(3);
    },
  );
});
