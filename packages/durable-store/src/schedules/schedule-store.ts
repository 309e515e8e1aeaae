import { intentKindSchema, newIntentId, type IntentKind, type ScheduleTiming } from '@neonops/intents';
import type { Insertable, Selectable } from 'kysely';
import { z } from 'zod';
import type { DurableDatabase } from '../database.js';
import type { ScheduleRunsTable, SchedulesTable } from '../schema.js';

/** A team schedule as stored and shown (`GET /v1/schedules/:id` adds its next runs). */
export const scheduleSchema = z
  .object({
    /** `sch_…`, sorting by creation time. */
    id: z.string(),
    teamId: z.string(),
    name: z.string().optional(),
    /** 5-field cron pattern, read in `timezone`. Absent for an interval. */
    cron: z.string().optional(),
    /** IANA time zone of `cron`. */
    timezone: z.string().optional(),
    /** Interval in ms. Absent for a cron pattern. */
    everyMs: z.number().int().positive().optional(),
    /** The intent each run submits. */
    intent: z.object({ kind: intentKindSchema, params: z.record(z.string(), z.unknown()) }),
    /** A paused schedule has no job scheduler: no run happens, none is caught up on resume. */
    paused: z.boolean(),
    /** Bumped by every change; the job scheduler carries it, so the reconcile job sees a stale one. */
    version: z.number().int().positive(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof scheduleSchema>;

export const scheduleRunStatusSchema = z.enum(['submitted', 'skipped', 'refused']);
export type ScheduleRunStatus = z.infer<typeof scheduleRunStatusSchema>;

/** One tick of a schedule and what it did. */
export const scheduleRunSchema = z
  .object({
    scheduleId: z.string(),
    /** The tick's time (the job scheduler's run time), not when the worker got to it. */
    tickAt: z.string(),
    status: scheduleRunStatusSchema,
    /** `submitted`: the intent it made; `skipped`: the previous intent, still active. */
    intentId: z.string().optional(),
    /**
     * Stable code: `previous_intent_active` (skipped); `kind_forbidden`, `project_not_found`,
     * `project_creation_forbidden`, `team_not_found`, `too_many_active_intents`, `invalid_intent` (refused).
     */
    reason: z.string().optional(),
    /** One sentence for people. */
    detail: z.string().optional(),
    recordedAt: z.string(),
  })
  .meta({ id: 'ScheduleRun' });
export type ScheduleRun = z.infer<typeof scheduleRunSchema>;

/** What `create` takes. */
export interface ScheduleInput {
  teamId: string;
  name?: string;
  timing: ScheduleTiming;
  intent: { kind: IntentKind; params: Record<string, unknown> };
  paused?: boolean;
}

/** What `update` may change (absent: kept). */
export interface SchedulePatch {
  name?: string | null;
  timing?: ScheduleTiming;
  intent?: { kind: IntentKind; params: Record<string, unknown> };
  paused?: boolean;
}

/** A page, newest first, and the cursor of the next one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

type Row = Selectable<SchedulesTable>;
type RunRow = Selectable<ScheduleRunsTable>;

/** A new schedule id: `sch_` + the 26 characters of an intent id (time first, so ids sort by creation). */
export const newScheduleId = (now: Date): string => `sch_${newIntentId(now).slice(4)}`;

function toSchedule(row: Row): Schedule {
  return scheduleSchema.parse({
    id: row.id,
    teamId: row.team_id,
    ...(row.name === null ? {} : { name: row.name }),
    ...(row.cron === null ? {} : { cron: row.cron }),
    ...(row.timezone === null ? {} : { timezone: row.timezone }),
    ...(row.every_ms === null ? {} : { everyMs: Number(row.every_ms) }),
    intent: { kind: row.intent_kind, params: row.intent_params },
    paused: row.paused,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
}

function toRun(row: RunRow): ScheduleRun {
  return scheduleRunSchema.parse({
    scheduleId: row.schedule_id,
    tickAt: row.tick_at.toISOString(),
    status: row.status,
    ...(row.intent_id === null ? {} : { intentId: row.intent_id }),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.detail === null ? {} : { detail: row.detail }),
    recordedAt: row.recorded_at.toISOString(),
  });
}

const timingColumns = (timing: ScheduleTiming) =>
  'cron' in timing ? { cron: timing.cron, timezone: timing.timezone, every_ms: null } : { cron: null, timezone: null, every_ms: timing.everyMs };

/**
 * Team schedules and their runs in the durable store (`schedules`, `schedule_runs`, see the
 * 0004 migration). Every read and change of a schedule is scoped to its team, except the
 * worker's (`getById`, `page`), which acts for every team.
 */
export class ScheduleStore {
  constructor(
    private readonly database: DurableDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: ScheduleInput): Promise<Schedule> {
    const at = this.now();
    const row: Insertable<SchedulesTable> = {
      id: newScheduleId(at),
      team_id: input.teamId,
      name: input.name ?? null,
      ...timingColumns(input.timing),
      intent_kind: input.intent.kind,
      intent_params: JSON.stringify(input.intent.params),
      paused: input.paused ?? false,
      version: 1,
      created_at: at.toISOString(),
      updated_at: at.toISOString(),
    };
    return toSchedule(await this.database.db.insertInto('schedules').values(row).returningAll().executeTakeFirstOrThrow());
  }

  /** The team's schedule, or undefined (also for another team's). */
  async get(teamId: string, id: string): Promise<Schedule | undefined> {
    const row = await this.database.db.selectFrom('schedules').selectAll().where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    return row && toSchedule(row);
  }

  /** Any team's schedule (the worker's tick and reconcile jobs). */
  async getById(id: string): Promise<Schedule | undefined> {
    const row = await this.database.db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toSchedule(row);
  }

  /** The team's schedules, newest first; `cursor` is the last id of the previous page. */
  async list(teamId: string, options: { cursor?: string; limit?: number } = {}): Promise<Page<Schedule>> {
    const limit = options.limit ?? 20;
    let query = this.database.db.selectFrom('schedules').selectAll().where('team_id', '=', teamId);
    if (options.cursor !== undefined) query = query.where('id', '<', options.cursor);
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toSchedule);
    return rows.length > limit ? { items, nextCursor: items[items.length - 1]?.id ?? '' } : { items };
  }

  /** Every team's schedules in id order, after `after` (the reconcile job pages through them). */
  async page(options: { after?: string; limit: number }): Promise<Schedule[]> {
    let query = this.database.db.selectFrom('schedules').selectAll();
    if (options.after !== undefined) query = query.where('id', '>', options.after);
    return (await query.orderBy('id', 'asc').limit(options.limit).execute()).map(toSchedule);
  }

  /** Changes the team's schedule (version + 1); undefined when it has none by that id. */
  async update(teamId: string, id: string, patch: SchedulePatch): Promise<Schedule | undefined> {
    const row = await this.database.db
      .updateTable('schedules')
      .set((eb) => ({
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.timing ? timingColumns(patch.timing) : {}),
        ...(patch.intent ? { intent_kind: patch.intent.kind, intent_params: JSON.stringify(patch.intent.params) } : {}),
        ...(patch.paused === undefined ? {} : { paused: patch.paused }),
        version: eb('version', '+', 1),
        updated_at: this.now().toISOString(),
      }))
      .where('id', '=', id)
      .where('team_id', '=', teamId)
      .returningAll()
      .executeTakeFirst();
    return row && toSchedule(row);
  }

  /** Deletes the team's schedule and its runs; false when it had none by that id. */
  async delete(teamId: string, id: string): Promise<boolean> {
    const result = await this.database.db.deleteFrom('schedules').where('id', '=', id).where('team_id', '=', teamId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /**
   * Records a tick's outcome once: a second write for the same (schedule, tick) changes
   * nothing and returns the first. Undefined when the schedule is gone (deleted meanwhile).
   */
  async recordRun(run: Omit<ScheduleRun, 'recordedAt'> & { teamId: string }): Promise<ScheduleRun | undefined> {
    const schedule = await this.getById(run.scheduleId);
    if (!schedule) return undefined;
    await this.database.db
      .insertInto('schedule_runs')
      .values({
        schedule_id: run.scheduleId,
        tick_at: run.tickAt,
        team_id: run.teamId,
        status: run.status,
        intent_id: run.intentId ?? null,
        reason: run.reason ?? null,
        detail: run.detail ?? null,
        recorded_at: this.now().toISOString(),
      })
      .onConflict((conflict) => conflict.columns(['schedule_id', 'tick_at']).doNothing())
      .execute()
      .catch((error: unknown) => {
        // The schedule was deleted between the read and the insert (foreign key): nothing to record.
        if (typeof error === 'object' && error !== null && 'code' in error && error.code === '23503') return;
        throw error;
      });
    return this.getRun(run.scheduleId, new Date(run.tickAt));
  }

  async getRun(scheduleId: string, tickAt: Date): Promise<ScheduleRun | undefined> {
    const row = await this.database.db
      .selectFrom('schedule_runs')
      .selectAll()
      .where('schedule_id', '=', scheduleId)
      .where('tick_at', '=', tickAt)
      .executeTakeFirst();
    return row && toRun(row);
  }

  /** The latest run (before `before`, when given) that submitted an intent (the skip check looks at its intent). */
  async lastSubmitted(scheduleId: string, before?: Date): Promise<ScheduleRun | undefined> {
    let query = this.database.db.selectFrom('schedule_runs').selectAll().where('schedule_id', '=', scheduleId).where('status', '=', 'submitted');
    if (before !== undefined) query = query.where('tick_at', '<', before);
    const row = await query
      .orderBy('tick_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRun(row);
  }

  /** A schedule's runs, newest tick first; `cursor` is the last `tickAt` of the previous page. */
  async listRuns(scheduleId: string, options: { cursor?: string; limit?: number } = {}): Promise<Page<ScheduleRun>> {
    const limit = options.limit ?? 20;
    let query = this.database.db.selectFrom('schedule_runs').selectAll().where('schedule_id', '=', scheduleId);
    if (options.cursor !== undefined) query = query.where('tick_at', '<', new Date(options.cursor));
    const rows = await query.orderBy('tick_at', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map(toRun);
    return rows.length > limit ? { items, nextCursor: items[items.length - 1]?.tickAt ?? '' } : { items };
  }

  /** Deletes runs whose tick is older than `before` (the history's retention); returns how many. */
  async pruneRuns(before: Date): Promise<number> {
    const result = await this.database.db.deleteFrom('schedule_runs').where('tick_at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
