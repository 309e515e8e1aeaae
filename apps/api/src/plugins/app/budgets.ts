import { BudgetStore, budgetPeriodOf, DEFAULT_PRICES, monthToDateSpend, UsageStore, type Budget, type BudgetInput, type PriceTable } from '@neonops/durable-store';
import { ThresholdMarks } from '@neonops/intents';
import type { Team } from '@neonops/teams';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, BudgetNotFoundError, DurableStoreNotConfiguredError, StoreUnavailableError, TeamForbiddenError, TeamNotFoundError } from '../../errors.js';
import { withRedis } from '../../redis-errors.js';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    budgets: BudgetsService;
  }
}

/** A budget with the current month: its spend so far (in the budget's unit) and the thresholds announced. */
export interface BudgetView {
  budget: Budget;
  period: { id: string; start: string; end: string; spent: number; percent: number; announced: { threshold: number; at: string }[] };
}

/**
 * The team whose resource a request names: its own without `teamId` (or with its own id);
 * another team only for an admin token, and only a team of the teams file.
 */
export function targetTeam(teams: { get(id: string): Team | undefined }, caller: Team, teamId: string | undefined): Team {
  if (teamId === undefined || teamId === caller.id) return caller;
  if (!caller.admin) throw new TeamForbiddenError('Leave teamId out (or give your own): only admin tokens act for other teams');
  const team = teams.get(teamId);
  if (!team) throw new TeamNotFoundError(`No team ${teamId}`);
  return team;
}

/**
 * Runs a durable-store call; a failure that is not one of ours means PostgreSQL did not
 * answer (503, changes nothing that a retry would repeat).
 */
export async function withDurable<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new StoreUnavailableError({ cause: error, detail: 'The durable store (PostgreSQL) is not reachable; retry later', retryAfterSeconds: 5 });
  }
}

/** Budgets as the routes use them: read and replace a team's, with the month's announced thresholds. */
export class BudgetsService {
  constructor(
    private readonly deps: {
      store: BudgetStore | undefined;
      usage: UsageStore | undefined;
      prices: PriceTable;
      marks: ThresholdMarks;
      redis: Redis;
      now: () => Date;
      log: FastifyBaseLogger;
    },
  ) {}

  private store(): BudgetStore {
    if (!this.deps.store) throw new DurableStoreNotConfiguredError('Budgets live in the durable store: set DATABASE_URL');
    return this.deps.store;
  }

  async get(teamId: string): Promise<BudgetView> {
    const store = this.store();
    const budget = await withDurable(() => store.get(teamId));
    if (!budget) throw new BudgetNotFoundError(`Team ${teamId} has no budget; PUT /v1/budgets sets one`);
    return this.view(budget);
  }

  async put(input: BudgetInput): Promise<BudgetView> {
    const store = this.store();
    return this.view(await withDurable(() => store.put(input)));
  }

  private async view(budget: Budget): Promise<BudgetView> {
    const now = this.deps.now();
    const period = budgetPeriodOf(now);
    const usage = this.deps.usage;
    const [announced, spend] = await Promise.all([
      withRedis(this.deps.redis, () => this.deps.marks.announced(budget.teamId, period.id)),
      usage ? withDurable(() => monthToDateSpend(usage, this.deps.prices, { teamId: budget.teamId, month: period.id, at: now })) : undefined,
    ]);
    const spent = spend === undefined ? 0 : round(budget.unit === 'usd' ? spend.cost.total : spend.cuHours);
    return {
      budget,
      period: { id: period.id, start: period.start.toISOString(), end: period.end.toISOString(), spent, percent: round((spent / budget.amount) * 100), announced },
    };
  }
}

/** Money and CU-hours to 4 decimals, as the budget watch's events give them. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export default fp<{ keyPrefix: string; now: () => Date; prices?: PriceTable }>(
  async (fastify, options) => {
    const database = fastify.durableDatabase;
    fastify.decorate(
      'budgets',
      new BudgetsService({
        store: database ? new BudgetStore(database, options.now) : undefined,
        usage: database ? new UsageStore(database) : undefined,
        prices: options.prices ?? DEFAULT_PRICES,
        marks: new ThresholdMarks(fastify.redis, { prefix: options.keyPrefix }),
        redis: fastify.redis,
        now: options.now,
        log: fastify.log,
      }),
    );
  },
  { name: 'budgets', dependencies: ['redis', 'durable-store'] },
);
