import { budgetPeriodOf, type Budget, type BudgetStore } from '@neonops/durable-store';
import type { ThresholdMarks } from '@neonops/intents';
import type { Team } from '@neonops/teams';
import type { Logger } from 'pino';
import { enforceBudget, type EnforceDeps, type EnforcementReport } from './enforce.js';
import type { SpendSource } from './spend.js';

export interface BudgetWatchDeps {
  budgets: Pick<BudgetStore, 'list'>;
  spend: SpendSource;
  marks: Pick<ThresholdMarks, 'emit'>;
  logger: Logger;
  /** Enforcement (suspensions at 100 %); without it, enforced budgets are only announced. */
  enforcement?: EnforceDeps & { teamById(teamId: string): Team | undefined };
  /** Test hook at named points of a tick (a crash test kills the process there). */
  crashPoints?: (point: 'budget.before_emit' | 'budget.after_emit') => void;
  now?: () => Date;
}

/** What one team's check found and did. */
export interface TeamBudgetCheck {
  teamId: string;
  period: string;
  spent: number;
  /** Thresholds at or below the spend, in percent. */
  reached: number[];
  /** Of those, the ones this tick announced (the others had been announced before). */
  emitted: number[];
  enforcement?: EnforcementReport;
  /** Why this team's check stopped, when it did (the others are still checked). */
  error?: string;
}

/**
 * One tick of the budget watch: for every budget, the team's month-to-date spend; every
 * threshold it reached is announced through `ThresholdMarks.emit` (the mark and the outbox
 * entry in one script: once per team, period and threshold, whichever worker gets there
 * first), in ascending order so that receivers see 50 before 80 before 100. An enforced
 * budget at 100 % then suspends the team's non-protected computes (see `enforceBudget`).
 *
 * Nothing is remembered between ticks but the marks: a tick that died anywhere is simply
 * run again by the next one, which announces what is missing and resubmits nothing twice.
 */
export async function runBudgetWatch(deps: BudgetWatchDeps): Promise<TeamBudgetCheck[]> {
  const now = (deps.now ?? (() => new Date()))();
  const period = budgetPeriodOf(now);
  const checks: TeamBudgetCheck[] = [];
  for (const budget of await deps.budgets.list()) {
    try {
      checks.push(await checkTeam(deps, budget, period, now));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ teamId: budget.teamId, err: { message } }, 'budget check failed; the next tick tries again');
      checks.push({ teamId: budget.teamId, period: period.id, spent: Number.NaN, reached: [], emitted: [], error: message });
    }
  }
  return checks;
}

async function checkTeam(deps: BudgetWatchDeps, budget: Budget, period: ReturnType<typeof budgetPeriodOf>, now: Date): Promise<TeamBudgetCheck> {
  const spent = await deps.spend.monthToDate(budget.teamId, period, budget.unit, now);
  const reached = budget.thresholds.filter((t) => spent >= (budget.amount * t) / 100);
  const check: TeamBudgetCheck = { teamId: budget.teamId, period: period.id, spent, reached, emitted: [] };
  for (const threshold of reached) {
    deps.crashPoints?.('budget.before_emit');
    const id = await deps.marks.emit(
      { teamId: budget.teamId, period: period.id, threshold, unit: budget.unit, amount: budget.amount, spent: round(spent), at: now.toISOString() },
      period.end,
    );
    if (id !== undefined) {
      check.emitted.push(threshold);
      deps.logger.info({ teamId: budget.teamId, period: period.id, threshold, spent: round(spent), amount: budget.amount, unit: budget.unit }, 'budget threshold crossed');
    }
    deps.crashPoints?.('budget.after_emit');
  }
  if (budget.enforce && spent >= budget.amount && deps.enforcement) {
    const team = deps.enforcement.teamById(budget.teamId);
    if (!team) {
      deps.logger.warn({ teamId: budget.teamId }, 'enforced budget of a team not in the teams file; nothing suspended');
    } else {
      check.enforcement = await enforceBudget(deps.enforcement, team, budget, period, now);
    }
  }
  return check;
}

/** Money and CU-hours to 4 decimals in events: enough for cents and CU-seconds, without float noise. */
function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
