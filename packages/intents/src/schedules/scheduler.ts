import { z } from 'zod';
import { repeatOptionsOf, type ScheduleTiming } from './timing.js';

/** The BullMQ queue of team schedules: one job scheduler per schedule (id = schedule id), plus the reconcile job. */
export const SCHEDULES_QUEUE = 'schedules';

/** Job name of a schedule's tick. */
export const SCHEDULE_TICK_JOB = 'tick';

/** Job scheduler id (and job name) of the worker's reconcile job; schedule ids start with `sch_`, so they never meet it. */
export const SCHEDULES_RECONCILE_ID = 'reconcile';

/** What a tick job carries (the template of its job scheduler). The schedule itself is read from PostgreSQL at each tick. */
export const scheduleTickDataSchema = z.object({
  scheduleId: z.string(),
  teamId: z.string(),
  /** The schedule's version when its scheduler was written: the reconcile job rewrites a scheduler whose version is stale. */
  version: z.number().int().positive(),
});
export type ScheduleTickData = z.infer<typeof scheduleTickDataSchema>;

/**
 * Options of every tick job. A tick that throws (PostgreSQL or Redis away) is tried again
 * with backoff — the same tick (its job id names it), so its dedupe key still holds;
 * finished ticks are kept an hour (a dashboard shows the recent ones; the history is in
 * `schedule_runs`).
 */
export const scheduleTickJobOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 86_400, count: 1000 },
};

/** A schedule as the job scheduler mirrors it (a structural subset of the durable store's `Schedule`). */
export interface ScheduledIntentRef {
  id: string;
  teamId: string;
  paused: boolean;
  version: number;
  cron?: string | undefined;
  timezone?: string | undefined;
  everyMs?: number | undefined;
}

/** The part of a BullMQ `Queue` that keeps job schedulers (so this package needs no BullMQ). */
export interface JobSchedulerQueue {
  upsertJobScheduler(
    id: string,
    repeat: { pattern: string; tz: string } | { every: number },
    template: { name: string; data: ScheduleTickData; opts: typeof scheduleTickJobOptions },
  ): Promise<unknown>;
  removeJobScheduler(id: string): Promise<unknown>;
}

/** The timing of a stored schedule. */
export function timingOf(schedule: ScheduledIntentRef): ScheduleTiming {
  if (schedule.cron !== undefined) return { cron: schedule.cron, timezone: schedule.timezone ?? 'UTC' };
  if (schedule.everyMs !== undefined) return { everyMs: schedule.everyMs };
  throw new Error(`schedule ${schedule.id} has neither cron nor everyMs`);
}

/**
 * Makes the schedule's BullMQ job scheduler match the row: upserted (pattern + tz, or every;
 * the tick's data carries the version) while the schedule runs, removed while it is paused.
 * Idempotent, so the API after a write and the worker's reconcile job can both call it.
 */
export async function syncJobScheduler(queue: JobSchedulerQueue, schedule: ScheduledIntentRef): Promise<'upserted' | 'removed'> {
  if (schedule.paused) {
    await queue.removeJobScheduler(schedule.id);
    return 'removed';
  }
  await queue.upsertJobScheduler(schedule.id, repeatOptionsOf(timingOf(schedule)), {
    name: SCHEDULE_TICK_JOB,
    data: { scheduleId: schedule.id, teamId: schedule.teamId, version: schedule.version },
    opts: scheduleTickJobOptions,
  });
  return 'upserted';
}
