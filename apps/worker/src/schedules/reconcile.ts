import type { ScheduleStore } from '@neonops/durable-store';
import { SCHEDULES_RECONCILE_ID, syncJobScheduler, type JobSchedulerQueue } from '@neonops/intents';
import type { Logger } from 'pino';

/** The part of a BullMQ `Queue` the reconcile job reads job schedulers with. */
export interface ReconcileQueue extends JobSchedulerQueue {
  getJobSchedulers(start?: number, end?: number, asc?: boolean): Promise<{ key: string; template?: { data?: unknown } }[]>;
}

export interface ReconcileReport {
  /** Schedulers created or rewritten (missing, or of an older version of their schedule). */
  upserted: number;
  /** Schedulers removed (their schedule is paused or gone). */
  removed: number;
  /** Schedules whose scheduler was already right. */
  inStep: number;
  /** Runs older than the retention, deleted. */
  prunedRuns: number;
}

const versionOf = (data: unknown): number | undefined =>
  typeof data === 'object' && data !== null && 'version' in data && typeof data.version === 'number' ? data.version : undefined;

/**
 * Brings BullMQ's job schedulers in step with the `schedules` table, which is the truth:
 * the API writes the row first and the scheduler second, so a crash between them (or a
 * Redis that lost its data) leaves a row without its scheduler, or an old scheduler. Every
 * running schedule gets a scheduler of its current version; a paused or deleted schedule's
 * scheduler is removed. Idempotent: two workers reconciling at once do the same writes.
 * Also deletes runs past the retention (`schedule_runs` stays bounded).
 */
export async function reconcileSchedulers(deps: {
  schedules: ScheduleStore;
  queue: ReconcileQueue;
  logger: Logger;
  /** Runs with a tick older than this are deleted. */
  runRetentionMs: number;
  now?: () => Date;
}): Promise<ReconcileReport> {
  const report: ReconcileReport = { upserted: 0, removed: 0, inStep: 0, prunedRuns: 0 };
  const schedulers = new Map<string, number | undefined>();
  for (const scheduler of await deps.queue.getJobSchedulers(0, -1, true)) {
    if (scheduler.key !== SCHEDULES_RECONCILE_ID) schedulers.set(scheduler.key, versionOf(scheduler.template?.data));
  }
  let after: string | undefined;
  for (;;) {
    const page = await deps.schedules.page({ limit: 500, ...(after === undefined ? {} : { after }) });
    for (const schedule of page) {
      const has = schedulers.has(schedule.id);
      const version = schedulers.get(schedule.id);
      schedulers.delete(schedule.id);
      if (schedule.paused ? !has : has && version === schedule.version) {
        report.inStep++;
        continue;
      }
      await syncJobScheduler(deps.queue, schedule);
      if (schedule.paused) report.removed++;
      else report.upserted++;
    }
    if (page.length < 500) break;
    after = page[page.length - 1]?.id;
  }
  // Schedulers of schedules that no longer exist.
  for (const id of schedulers.keys()) {
    if (!id.startsWith('sch_')) continue;
    await deps.queue.removeJobScheduler(id);
    report.removed++;
  }
  const now = (deps.now ?? (() => new Date()))();
  report.prunedRuns = await deps.schedules.pruneRuns(new Date(now.getTime() - deps.runRetentionMs));
  if (report.upserted + report.removed > 0) deps.logger.info({ ...report }, 'schedules reconciled');
  return report;
}
