import { z } from 'zod';
import { emptyUsage, type UsageMetrics, type UsageStore } from './usage-store.js';

/** Bytes in a GB as Neon bills them (decimal). */
export const BYTES_PER_GB = 1e9;

/**
 * The price table, in USD. Defaults: Neon's Launch plan as published on
 * https://neon.com/docs/introduction/plans (page updated 2026-11-12, read 2026-11-30):
 * $0.106 per CU-hour, $0.35 per GB-month of storage (root and child branches alike), $0.20
 * per GB-month of instant restore history, $0.10 per GB of public transfer (the 100 GB a
 * month Neon includes are not subtracted: costs here are marginal, an upper bound),
 * $0.01 per GB of private transfer, $1.50 per extra branch-month. Snapshot storage is not
 * priced by default. Scale plan: `computePerCuHour: 0.222`.
 */
export const priceTableSchema = z
  .object({
    currency: z.literal('USD').default('USD'),
    computePerCuHour: z.number().nonnegative().default(0.106),
    rootStoragePerGbMonth: z.number().nonnegative().default(0.35),
    childStoragePerGbMonth: z.number().nonnegative().default(0.35),
    instantRestorePerGbMonth: z.number().nonnegative().default(0.2),
    publicTransferPerGb: z.number().nonnegative().default(0.1),
    privateTransferPerGb: z.number().nonnegative().default(0.01),
    extraBranchPerMonth: z.number().nonnegative().default(1.5),
    snapshotStoragePerGbMonth: z.number().nonnegative().default(0),
  })
  .strict();
export type PriceTable = z.infer<typeof priceTableSchema>;
export const DEFAULT_PRICES: PriceTable = priceTableSchema.parse({});

/** Parses a price table from JSON text (`USAGE_PRICES`): a partial object over the defaults. */
export function parsePriceTable(json: string | undefined): PriceTable {
  if (json === undefined || json.trim() === '') return DEFAULT_PRICES;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error('the price table is not valid JSON');
  }
  return priceTableSchema.parse(raw);
}

/** `USAGE_PRICES` as the API's and the workers' configs read it: JSON text → a price table (defaults when unset). */
export const usagePricesEnvSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    try {
      return parsePriceTable(raw);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `USAGE_PRICES: ${error instanceof Error ? error.message : String(error)}` });
      return z.NEVER;
    }
  });

export const costLinesSchema = z.object({
  compute: z.number(),
  rootStorage: z.number(),
  childStorage: z.number(),
  instantRestore: z.number(),
  publicTransfer: z.number(),
  privateTransfer: z.number(),
  extraBranches: z.number(),
  snapshotStorage: z.number(),
});
export const costSchema = z.object({ currency: z.literal('USD'), total: z.number(), lines: costLinesSchema });
/** Money for some usage, line by line, in the table's currency (not rounded). */
export type Cost = z.infer<typeof costSchema>;

/** Usage → money (pure). */
export function costOf(usage: UsageMetrics, prices: PriceTable): Cost {
  const lines = {
    compute: (usage.compute_unit_seconds / 3600) * prices.computePerCuHour,
    rootStorage: (usage.root_branch_bytes_month / BYTES_PER_GB) * prices.rootStoragePerGbMonth,
    childStorage: (usage.child_branch_bytes_month / BYTES_PER_GB) * prices.childStoragePerGbMonth,
    instantRestore: (usage.instant_restore_bytes_month / BYTES_PER_GB) * prices.instantRestorePerGbMonth,
    publicTransfer: (usage.public_network_transfer_bytes / BYTES_PER_GB) * prices.publicTransferPerGb,
    privateTransfer: (usage.private_network_transfer_bytes / BYTES_PER_GB) * prices.privateTransferPerGb,
    extraBranches: usage.extra_branches_month * prices.extraBranchPerMonth,
    snapshotStorage: (usage.snapshot_storage_bytes_month / BYTES_PER_GB) * prices.snapshotStoragePerGbMonth,
  };
  const total = Object.values(lines).reduce((a, b) => a + b, 0);
  return { currency: prices.currency, total, lines };
}

/** Compute-unit hours of some usage. */
export const cuHoursOf = (usage: UsageMetrics): number => usage.compute_unit_seconds / 3600;

/** Adds usage (pure). */
export function addUsage(a: UsageMetrics, b: UsageMetrics): UsageMetrics {
  const out = emptyUsage();
  for (const key of Object.keys(out) as Array<keyof UsageMetrics>) out[key] = a[key] + b[key];
  return out;
}

const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month is YYYY-MM');

/** The UTC bounds [from, to) of a month `YYYY-MM`. */
export function monthBounds(month: string): { from: Date; to: Date } {
  const [y, m] = monthSchema.parse(month).split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(y, m - 1, 1)), to: new Date(Date.UTC(y, m, 1)) };
}

/** The month (`YYYY-MM`, UTC) a time falls in. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

export interface Forecast {
  /** How the forecast is made: the month-to-date daily average, carried linearly to the month's end. */
  method: 'linear-daily-average';
  /** Days of the month elapsed at `at` (fractional). */
  elapsedDays: number;
  daysInMonth: number;
  /** Expected total for the whole month. */
  total: number;
}

/**
 * A month-end forecast: `monthToDate / elapsedDays × daysInMonth` (linear from the
 * month-to-date daily average; it knows nothing of weekly patterns or of resources created
 * later). At or after the month's end, the month-to-date value itself.
 */
export function forecastMonth(monthToDate: number, month: string, at: Date): Forecast {
  const { from, to } = monthBounds(month);
  const day = 86_400_000;
  const daysInMonth = (to.getTime() - from.getTime()) / day;
  const elapsedDays = Math.min(daysInMonth, Math.max(0, (at.getTime() - from.getTime()) / day));
  const total = elapsedDays >= daysInMonth ? monthToDate : elapsedDays === 0 ? 0 : (monthToDate / elapsedDays) * daysInMonth;
  return { method: 'linear-daily-average', elapsedDays, daysInMonth, total };
}

export interface MonthToDateSpend {
  teamId: string;
  month: string;
  /** [from, to): the month's start to `at` (or the month's end when it is over). */
  from: string;
  to: string;
  cuHours: number;
  usage: UsageMetrics;
  cost: Cost;
}

/**
 * What a team spent in a month up to `at` (default now): the usage attributed to the team
 * in [month start, min(at, month end)), its CU-hours and its cost at `prices`. For budgets.
 */
export async function monthToDateSpend(
  store: UsageStore,
  prices: PriceTable,
  query: { teamId: string; month: string; at?: Date },
): Promise<MonthToDateSpend> {
  const { from, to: monthEnd } = monthBounds(query.month);
  const at = query.at ?? new Date();
  const to = at < monthEnd ? at : monthEnd;
  const usage = to <= from ? emptyUsage() : await store.totals({ teamId: query.teamId, from, to });
  return { teamId: query.teamId, month: query.month, from: from.toISOString(), to: to.toISOString(), cuHours: cuHoursOf(usage), usage, cost: costOf(usage, prices) };
}
