import { BudgetStore, budgetPeriodOf, type Budget, type BudgetInput } from '@neonops/durable-store';
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

/** A budget with what the current month has announced so far. */
export interface BudgetView {
  budget: Budget;
  period: { id: string; start: string; end: string; announced: { threshold: number; at: string }[] };
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
    private readonly deps: { store: BudgetStore | undefined; marks: ThresholdMarks; redis: Redis; now: () => Date; log: FastifyBaseLogger },
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
    const period = budgetPeriodOf(this.deps.now());
    const announced = await withRedis(this.deps.redis, () => this.deps.marks.announced(budget.teamId, period.id));
    return { budget, period: { id: period.id, start: period.start.toISOString(), end: period.end.toISOString(), announced } };
  }
}

export default fp<{ keyPrefix: string; now: () => Date }>(
  async (fastify, options) => {
    const database = fastify.durableDatabase;
    fastify.decorate(
      'budgets',
      new BudgetsService({
        store: database ? new BudgetStore(database, options.now) : undefined,
        marks: new ThresholdMarks(fastify.redis, { prefix: options.keyPrefix }),
        redis: fastify.redis,
        now: options.now,
        log: fastify.log,
      }),
    );
  },
  { name: 'budgets', dependencies: ['redis', 'durable-store'] },
);
