import { BudgetStore, DEFAULT_PRICES, UsageStore, type DurableDatabase, type PriceTable } from '@neonops/durable-store';
import { bullPrefix, handshaken, IntentRights, INTENTS_QUEUE, IntentSubmitter, ThresholdMarks, type IntentJobData, type IntentStore } from '@neonops/intents';
import type { NeonClient } from '@neonops/neon-client';
import type { Team, TeamsSource } from '@neonops/teams';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { startBudgetWatch, type BudgetWatch, type BudgetWatchOptions } from './index.js';
import { usageSpend } from './spend.js';

export interface WorkerBudgetsDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection (marks, rights, the intent store). */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  /** The durable store: budgets and the usage they are measured against. */
  database: DurableDatabase;
  neon: NeonClient;
  logger: Logger;
  /** Tick interval (`BUDGET_WATCH_INTERVAL_MS`). */
  intervalMs: number;
  /** The price table money budgets are measured with. Default `DEFAULT_PRICES`. */
  prices?: PriceTable;
  /**
   * The teams (teams file and managed teams), read at each tick: enforcement acts for them
   * with their rights (a team unknown there has its budget announced, nothing suspended).
   */
  teams: TeamsSource;
  crashPoints?: BudgetWatchOptions['crashPoints'];
  onTick?: BudgetWatchOptions['onTick'];
  /** The watch's clock (which month a tick measures). Default `() => new Date()`. */
  now?: BudgetWatchOptions['now'];
}

/**
 * The worker's budget watch, wired: budgets and usage from the durable store, announcements
 * through the outbox, and enforcement through the shared submit path (rights from the
 * teams file, the intent store and the `intents` queue).
 */
export async function startWorkerBudgets(deps: WorkerBudgetsDeps): Promise<BudgetWatch> {
  let teams: readonly Team[] = [];
  const queue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: deps.connection(), prefix: bullPrefix(deps.keyPrefix) });
  const rights = new IntentRights(deps.redis, { prefix: deps.keyPrefix, allTeams: () => teams });
  const enforcement = {
    neon: deps.neon,
    submitter: new IntentSubmitter({ store: deps.store, queue, rights }),
    projectsOf: (team: Team) => rights.projectsOf(team),
    logger: deps.logger,
    teamById: (id: string) => teams.find((t) => t.id === id),
  };
  const watch = await startBudgetWatch({
    connection: deps.connection,
    keyPrefix: deps.keyPrefix,
    budgets: new BudgetStore(deps.database),
    spend: usageSpend(new UsageStore(deps.database), deps.prices ?? DEFAULT_PRICES),
    marks: new ThresholdMarks(deps.redis, { prefix: deps.keyPrefix }),
    logger: deps.logger,
    intervalMs: deps.intervalMs,
    enforcement,
    beforeTick: async () => {
      teams = await deps.teams.list();
    },
    ...(deps.crashPoints ? { crashPoints: deps.crashPoints } : {}),
    ...(deps.onTick ? { onTick: deps.onTick } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  await handshaken(queue);
  return {
    runNow: watch.runNow,
    async close() {
      await watch.close();
      await queue.close();
    },
  };
}
