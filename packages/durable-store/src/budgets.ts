import { z } from 'zod';
import type { DurableDatabase } from './database.js';

/** What a budget counts: money (USD, from the price table) or compute (CU-hours). */
export const budgetUnitSchema = z.enum(['usd', 'cu_hours']);
export type BudgetUnit = z.infer<typeof budgetUnitSchema>;

/** The thresholds a budget announces when nothing else is said, in percent of its amount. */
export const DEFAULT_BUDGET_THRESHOLDS: readonly number[] = [50, 80, 100];

/**
 * Percentages of the amount at which `usage.threshold_crossed` is announced: integers
 * 1–1000 (a team may want to hear about 150 % too), distinct, stored ascending.
 */
export const budgetThresholdsSchema = z
  .array(z.number().int().min(1).max(1000))
  .min(1)
  .max(10)
  .refine((t) => new Set(t).size === t.length, 'thresholds must be distinct')
  .transform((t) => [...t].sort((a, b) => a - b));

/** A team's monthly budget as stored and shown. */
export const budgetSchema = z
  .object({
    teamId: z.string(),
    unit: budgetUnitSchema,
    /** The month's amount: USD, or CU-hours. */
    amount: z.number().positive(),
    thresholds: z.array(z.number().int()),
    /** At 100 %: suspend the team's computes on non-protected branches (each an `endpoint.suspend` intent). */
    enforce: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Budget' });
export type Budget = z.infer<typeof budgetSchema>;

/** What `put` takes: the budget without its times (thresholds default to 50/80/100, enforcement off). */
export interface BudgetInput {
  teamId: string;
  unit: BudgetUnit;
  amount: number;
  thresholds?: readonly number[];
  enforce?: boolean;
}

/**
 * Teams' monthly budgets in the durable store (`budgets`, see the 0003 migration): one per
 * team, replaced as a whole by `put`.
 */
export class BudgetStore {
  constructor(
    private readonly database: DurableDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates or replaces the team's budget; returns it as stored. */
  async put(input: BudgetInput): Promise<Budget> {
    const thresholds = budgetThresholdsSchema.parse(input.thresholds ?? DEFAULT_BUDGET_THRESHOLDS);
    const at = this.now().toISOString();
    const row = await this.database.db
      .insertInto('budgets')
      .values({
        team_id: input.teamId,
        unit: input.unit,
        amount: input.amount,
        thresholds: JSON.stringify(thresholds),
        enforce: input.enforce ?? false,
        created_at: at,
        updated_at: at,
      })
      .onConflict((oc) =>
        oc.column('team_id').doUpdateSet((eb) => ({
          unit: eb.ref('excluded.unit'),
          amount: eb.ref('excluded.amount'),
          thresholds: eb.ref('excluded.thresholds'),
          enforce: eb.ref('excluded.enforce'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toBudget(row);
  }

  /** The team's budget, or undefined when it has none. */
  async get(teamId: string): Promise<Budget | undefined> {
    const row = await this.database.db.selectFrom('budgets').selectAll().where('team_id', '=', teamId).executeTakeFirst();
    return row ? toBudget(row) : undefined;
  }

  /** Every team's budget, by team id (the watch reads them all at each tick). */
  async list(): Promise<Budget[]> {
    const rows = await this.database.db.selectFrom('budgets').selectAll().orderBy('team_id').execute();
    return rows.map(toBudget);
  }

  /** Removes the team's budget; false when it had none. */
  async delete(teamId: string): Promise<boolean> {
    const result = await this.database.db.deleteFrom('budgets').where('team_id', '=', teamId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toBudget(row: {
  team_id: string;
  unit: string;
  amount: number;
  thresholds: unknown;
  enforce: boolean;
  created_at: Date;
  updated_at: Date;
}): Budget {
  return budgetSchema.parse({
    teamId: row.team_id,
    unit: row.unit,
    amount: Number(row.amount),
    thresholds: row.thresholds,
    enforce: row.enforce,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
}

/** The budget month a moment falls in (UTC): its id `YYYY-MM`, start and end (exclusive). */
export interface BudgetPeriod {
  id: string;
  start: Date;
  end: Date;
}

/** The calendar month (UTC) containing `at`. */
export function budgetPeriodOf(at: Date): BudgetPeriod {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { id: start.toISOString().slice(0, 7), start, end };
}
