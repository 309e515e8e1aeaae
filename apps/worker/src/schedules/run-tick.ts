import type { Schedule, ScheduleRun, ScheduleStore } from '@neonops/durable-store';
import {
  IntentCapReachedError,
  intentRequestSchema,
  isTerminalStatus,
  type IntentRights,
  type IntentStore,
  type IntentSubmitter,
} from '@neonops/intents';
import type { Team, TeamsSource } from '@neonops/teams';
import type { Logger } from 'pino';

/** Named points of a tick where a crash test kills the process. */
export type ScheduleCrashPoint = 'schedule.after_submit';

export interface TickDeps {
  schedules: ScheduleStore;
  intents: IntentStore;
  submitter: IntentSubmitter;
  rights: IntentRights;
  teams: TeamsSource;
  logger: Logger;
  /** How long a tick's dedupe key lives, in ms: longer than any retry of its job. */
  dedupeTtlMs: number;
  crashPoints?: (point: ScheduleCrashPoint) => void;
}

/** What a tick did: a run recorded (or found recorded before), or nothing because the schedule is gone or paused. */
export type TickOutcome = { run: ScheduleRun } | { ignored: 'gone' | 'paused' };

/** The dedupe key of a schedule's tick: one intent per (schedule, tick time), across crashes and re-delivered jobs. */
export const tickDedupeKey = (scheduleId: string, tickAt: Date): string => `schedule:${scheduleId}:${tickAt.getTime()}`;

type Verdict = { status: 'skipped' | 'refused'; reason: string; detail: string; intentId?: string } | { status: 'submit'; team: Team };

/**
 * One tick of a schedule, at `tickAt` (its scheduled time, from the job scheduler):
 *
 * 1. the schedule is read from PostgreSQL (the truth): gone or paused → nothing happens
 *    (the caller removes a scheduler left behind);
 * 2. a run already recorded for this tick is the answer (a re-delivered job);
 * 3. an intent this tick already made (its dedupe key, set in the same script as the
 *    intent) is recorded as submitted — a worker died between the submit and the record;
 * 4. otherwise the team's rights now (the teams file as it is now, Redis project
 *    ownership), the intent against today's catalog, and the previous intent of this
 *    schedule: still active → `skipped`; refused → `refused` with the reason;
 * 5. the intent is submitted with the tick's dedupe key, then the run is recorded.
 *
 * Every step can be repeated: the dedupe key and the run's primary key make a tick submit at
 * most one intent and record one run, whichever worker runs it and however often. The
 * caller runs one tick of a schedule at a time (`ScheduleLease`), so the skip check sees the
 * intent of the tick before.
 */
export async function runTick(deps: TickDeps, scheduleId: string, tickAt: Date): Promise<TickOutcome> {
  const schedule = await deps.schedules.getById(scheduleId);
  if (!schedule) return { ignored: 'gone' };
  if (schedule.paused) return { ignored: 'paused' };
  const recorded = await deps.schedules.getRun(scheduleId, tickAt);
  if (recorded) return { run: recorded };

  const dedupe = { key: tickDedupeKey(scheduleId, tickAt), ttlMs: deps.dedupeTtlMs };
  const made = await deps.intents.dedupedIntentId(schedule.teamId, dedupe.key);
  if (made !== undefined) return record(deps, schedule, tickAt, { status: 'submitted', intentId: made });

  const verdict = await judge(deps, schedule);
  if (verdict.status !== 'submit') {
    deps.logger.info({ scheduleId, teamId: schedule.teamId, tickAt, status: verdict.status, reason: verdict.reason }, 'schedule run not submitted');
    return record(deps, schedule, tickAt, verdict);
  }
  let intentId: string;
  try {
    const request = intentRequestSchema.parse(schedule.intent);
    intentId = (await deps.submitter.submit(verdict.team, request, { dedupe, actor: { type: 'schedule', id: schedule.id } })).intent.id;
  } catch (error) {
    if (error instanceof IntentCapReachedError) {
      return record(deps, schedule, tickAt, {
        status: 'refused',
        reason: 'too_many_active_intents',
        detail: `The team already has ${error.maxActive} active intents`,
      });
    }
    throw error;
  }
  deps.crashPoints?.('schedule.after_submit');
  deps.logger.info({ scheduleId, teamId: schedule.teamId, tickAt, intentId }, 'schedule run submitted');
  return record(deps, schedule, tickAt, { status: 'submitted', intentId });
}

async function judge(deps: TickDeps, schedule: Schedule): Promise<Verdict> {
  const team = (await deps.teams.list()).find((t) => t.id === schedule.teamId);
  if (!team) return { status: 'refused', reason: 'team_not_found', detail: `Team ${schedule.teamId} is neither in the teams file nor managed through the admin routes` };
  const parsed = intentRequestSchema.safeParse(schedule.intent);
  if (!parsed.success) {
    return { status: 'refused', reason: 'invalid_intent', detail: `The intent is not valid today: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  }
  const refused = await deps.rights.refusal(team, parsed.data);
  if (refused) return { status: 'refused', reason: refused.code, detail: refused.message };
  // The latest submitted run, whichever tick: ticks of a schedule run one at a time (ScheduleLease), not always in order.
  const previous = await deps.schedules.lastSubmitted(schedule.id);
  if (previous?.intentId !== undefined) {
    const record = await deps.intents.get(previous.intentId);
    if (record && !isTerminalStatus(record.status)) {
      return { status: 'skipped', reason: 'previous_intent_active', detail: `Intent ${record.id} of the previous run is still ${record.status}`, intentId: record.id };
    }
  }
  return { status: 'submit', team };
}

async function record(
  deps: TickDeps,
  schedule: Schedule,
  tickAt: Date,
  outcome: { status: 'submitted' | 'skipped' | 'refused'; intentId?: string; reason?: string; detail?: string },
): Promise<TickOutcome> {
  const run = await deps.schedules.recordRun({ scheduleId: schedule.id, teamId: schedule.teamId, tickAt: tickAt.toISOString(), ...outcome });
  return run ? { run } : { ignored: 'gone' };
}
