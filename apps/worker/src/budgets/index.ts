import type { BudgetStore } from '@neonops/durable-store';
import { bullPrefix, closeWorker, handshaken, type ThresholdMarks } from '@neonops/intents';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { runBudgetWatch, type BudgetWatchDeps, type TeamBudgetCheck } from './watch.js';
import type { SpendSource } from './spend.js';

/** The queue of the budget watch's ticks (a BullMQ job scheduler). */
export const BUDGETS_QUEUE = 'budgets';
/** The job scheduler id of the budget watch. */
export const BUDGET_WATCH_SCHEDULER_ID = 'budget-watch';

export interface BudgetWatchOptions {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  keyPrefix: string;
  budgets: Pick<BudgetStore, 'list'>;
  spend: SpendSource;
  marks: Pick<ThresholdMarks, 'emit'>;
  logger: Logger;
  enforcement?: BudgetWatchDeps['enforcement'];
  /** How often the watch runs, in ms. Default 300000 (5 minutes; usage itself is collected hourly). */
  intervalMs?: number;
  /** Runs before each tick (e.g. re-reads the teams file). */
  beforeTick?: () => Promise<void>;
  /** Called after each tick (tests, metrics). */
  onTick?: (checks: TeamBudgetCheck[]) => void;
  crashPoints?: BudgetWatchDeps['crashPoints'];
  now?: () => Date;
}

export interface BudgetWatch {
  /** Runs a tick now, outside the schedule (tests, an operator). */
  runNow(): Promise<TeamBudgetCheck[]>;
  close(): Promise<void>;
}

/**
 * The budget watch as a BullMQ job scheduler on the `budgets` queue, like the maintenance
 * jobs: every worker process upserts the same scheduler and runs a worker for the queue, so
 * each tick runs once per deployment whatever the number of processes, and the schedule
 * survives restarts. A tick that fails (or whose worker dies: BullMQ's stalled check) is
 * retried by the next one; announcing is idempotent (see `runBudgetWatch`).
 */
export async function startBudgetWatch(options: BudgetWatchOptions): Promise<BudgetWatch> {
  const prefix = bullPrefix(options.keyPrefix);
  const queue = new Queue(BUDGETS_QUEUE, { connection: options.connection(), prefix });
  const run = async (): Promise<TeamBudgetCheck[]> => {
    await options.beforeTick?.();
    const checks = await runBudgetWatch({
      budgets: options.budgets,
      spend: options.spend,
      marks: options.marks,
      logger: options.logger,
      ...(options.enforcement ? { enforcement: options.enforcement } : {}),
      ...(options.crashPoints ? { crashPoints: options.crashPoints } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    options.onTick?.(checks);
    return checks;
  };
  await queue.upsertJobScheduler(
    BUDGET_WATCH_SCHEDULER_ID,
    { every: options.intervalMs ?? 300_000 },
    { name: 'budget-watch', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(
    BUDGETS_QUEUE,
    async (job) => {
      if (job.name === 'budget-watch') return summarize(await run());
      options.logger.warn({ job: job.name }, 'unknown budgets job; ignored');
      return undefined;
    },
    { connection: options.connection(), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => options.logger.error({ job: job?.name, err: { message: err.message } }, 'budget watch tick failed'));
  worker.on('error', (err) => options.logger.error({ err: { message: err.message } }, 'budget watch worker error'));
  await handshaken(worker, queue);
  return {
    runNow: run,
    async close() {
      await closeWorker(worker);
      await queue.close();
    },
  };
}

/** What a tick's job keeps as its return value (BullMQ stores it): counts, no amounts per team. */
function summarize(checks: TeamBudgetCheck[]): { teams: number; emitted: number; suspensions: number; errors: number } {
  return {
    teams: checks.length,
    emitted: checks.reduce((n, c) => n + c.emitted.length, 0),
    suspensions: checks.reduce((n, c) => n + (c.enforcement?.suspensions.filter((s) => s.created).length ?? 0), 0),
    errors: checks.filter((c) => c.error !== undefined).length,
  };
}
