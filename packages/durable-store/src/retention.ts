import { intentIdFloor } from '@neonops/intents';
import { z } from 'zod';
import type { DurableDatabase } from './database.js';

const DAY_MS = 86_400_000;

/**
 * How long the durable store keeps each kind of row, in days (0: for ever). The defaults keep
 * a year and a month of history and usage, so that a year-over-year view (`GET /v1/usage`
 * monthly over a year, the audit) still has its first month. Schedule runs have their own
 * retention (the schedules' reconcile job).
 */
export const retentionPolicySchema = z.object({
  /** Ended intents (`intent_history`: the history and the audit), by creation time. */
  historyDays: z.number().int().min(0).default(400),
  /** Hourly usage rows (`usage_hourly`), by hour. */
  usageDays: z.number().int().min(0).default(400),
  /** Usage collection runs (`usage_collection_runs`), by start. */
  collectionRunsDays: z.number().int().min(0).default(30),
  /** Quota findings that were resolved (`quota_findings`), by resolution; open findings stay. */
  resolvedFindingsDays: z.number().int().min(0).default(90),
});
export type RetentionPolicy = z.infer<typeof retentionPolicySchema>;
export const DEFAULT_RETENTION: RetentionPolicy = retentionPolicySchema.parse({});

/** Rows deleted by one {@link pruneDurableStore}, per table. */
export interface RetentionReport {
  history: number;
  usageHours: number;
  collectionRuns: number;
  resolvedFindings: number;
}

export interface PruneOptions {
  now?: Date;
  /** Rows per `DELETE` of the intent history (each statement holds its locks briefly). Default 5000. */
  batchSize?: number;
}

const cutoff = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/**
 * Deletes the rows the policy no longer keeps, table by table, in short statements: the
 * intent history by id range (ids sort by creation time: the primary key's index) in batches
 * of `batchSize`, usage a day of hours at a time (the `hour` index), the small tables at once.
 * Safe to run on several processes at once and to stop anywhere: each statement deletes only
 * rows past the cutoff, so a rerun finishes the work.
 */
export async function pruneDurableStore(database: DurableDatabase, policy: RetentionPolicy, options: PruneOptions = {}): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 5000;
  const { db } = database;
  const report: RetentionReport = { history: 0, usageHours: 0, collectionRuns: 0, resolvedFindings: 0 };

  if (policy.historyDays > 0) {
    const below = intentIdFloor(cutoff(now, policy.historyDays));
    for (;;) {
      const batch = db.selectFrom('intent_history').select('id').where('id', '<', below).orderBy('id').limit(batchSize);
      const deleted = Number((await db.deleteFrom('intent_history').where('id', 'in', batch).executeTakeFirst()).numDeletedRows);
      report.history += deleted;
      if (deleted < batchSize) break;
    }
  }

  if (policy.usageDays > 0) {
    const end = cutoff(now, policy.usageDays);
    for (;;) {
      const oldest = await db.selectFrom('usage_hourly').select('hour').where('hour', '<', end).orderBy('hour').limit(1).executeTakeFirst();
      if (!oldest) break;
      const upTo = new Date(Math.min(new Date(oldest.hour).getTime() + DAY_MS, end.getTime()));
      report.usageHours += Number((await db.deleteFrom('usage_hourly').where('hour', '<', upTo).executeTakeFirst()).numDeletedRows);
    }
  }

  if (policy.collectionRunsDays > 0) {
    const before = cutoff(now, policy.collectionRunsDays);
    report.collectionRuns = Number((await db.deleteFrom('usage_collection_runs').where('started_at', '<', before).executeTakeFirst()).numDeletedRows);
  }

  if (policy.resolvedFindingsDays > 0) {
    const before = cutoff(now, policy.resolvedFindingsDays);
    report.resolvedFindings = Number(
      (await db.deleteFrom('quota_findings').where('resolved_at', 'is not', null).where('resolved_at', '<', before).executeTakeFirst()).numDeletedRows,
    );
  }
  return report;
}
