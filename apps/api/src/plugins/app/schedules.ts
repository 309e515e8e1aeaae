import { ScheduleStore, type Page, type Schedule, type SchedulePatch, type ScheduleRun } from '@neonops/durable-store';
import {
  bullPrefix,
  closeHandshaken,
  DEFAULT_MIN_EVERY_MS,
  nextRuns,
  resolveTiming,
  SCHEDULES_QUEUE,
  syncJobScheduler,
  timingOf,
  type IntentRequest,
  type ScheduleTiming,
  type ScheduleTimingInput,
} from '@neonops/intents';
import type { Team } from '@neonops/teams';
import { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { DurableStoreNotConfiguredError, ScheduleNotFoundError, ValidationError } from '../../errors.js';
import { withDurable } from './budgets.js';
import type { IntentsService } from './intents-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    schedules: SchedulesService;
  }
}

/** How many upcoming run times a schedule shows. */
export const NEXT_RUNS_SHOWN = 5;

/** A schedule as the API shows it: the stored schedule and its next run times (none while paused). */
export type ScheduleView = Schedule & { nextRuns: string[] };

/** What `POST /v1/schedules` takes (the body, validated). */
export interface ScheduleCreate extends ScheduleTimingInput {
  name?: string | undefined;
  intent: IntentRequest;
  paused?: boolean | undefined;
}

/** What `PATCH /v1/schedules/:id` takes: every field optional; `name: null` removes the name. */
export interface ScheduleUpdate extends ScheduleTimingInput {
  name?: string | null | undefined;
  intent?: IntentRequest | undefined;
  paused?: boolean | undefined;
}

export interface SchedulesServiceDeps {
  store: ScheduleStore | undefined;
  /** The schedules queue (job schedulers), on the API's fail-fast connection. */
  queue: Queue;
  intents: Pick<IntentsService, 'authorize'>;
  /** Shortest interval accepted (`SCHEDULE_MIN_EVERY_MS`). */
  minEveryMs: number;
  now: () => Date;
  log: FastifyBaseLogger;
}

/**
 * Team schedules as the routes use them. The row in the durable store is the truth and is
 * written first; the BullMQ job scheduler is written second, and when that fails (Redis away,
 * the process dies in between) the request still succeeds: the workers' reconcile job
 * creates, updates or removes the scheduler from the row within its interval.
 */
export class SchedulesService {
  constructor(private readonly deps: SchedulesServiceDeps) {}

  private store(): ScheduleStore {
    if (!this.deps.store) throw new DurableStoreNotConfiguredError('Schedules live in the durable store: set DATABASE_URL');
    return this.deps.store;
  }

  /** The timing fields checked, or 400 naming each bad field. */
  private timing(input: ScheduleTimingInput): ScheduleTiming {
    const resolved = resolveTiming(input, this.deps.minEveryMs);
    if ('issues' in resolved) throw new ValidationError(resolved.issues.map((i) => ({ in: 'body', path: i.path, message: i.message })));
    return resolved.timing;
  }

  async create(team: Team, input: ScheduleCreate): Promise<ScheduleView> {
    const store = this.store();
    const timing = this.timing(input);
    // The team's rights now, with the errors POST /v1/intents gives; checked again at each run.
    await this.deps.intents.authorize(team, input.intent);
    const schedule = await withDurable(() =>
      store.create({
        teamId: team.id,
        ...(input.name === undefined ? {} : { name: input.name }),
        timing,
        intent: { kind: input.intent.kind, params: input.intent.params as Record<string, unknown> },
        paused: input.paused ?? false,
      }),
    );
    await this.sync(schedule);
    return this.view(schedule);
  }

  async get(team: Team, id: string): Promise<ScheduleView> {
    return this.view(await this.find(team, id));
  }

  async list(team: Team, query: { cursor?: string; limit: number }): Promise<Page<ScheduleView>> {
    const store = this.store();
    const page = await withDurable(() => store.list(team.id, query));
    return { items: await Promise.all(page.items.map((s) => this.view(s))), ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }) };
  }

  async update(team: Team, id: string, input: ScheduleUpdate): Promise<ScheduleView> {
    const store = this.store();
    const current = await this.find(team, id);
    const patch: SchedulePatch = {};
    if (input.cron !== undefined || input.every !== undefined || input.timezone !== undefined) {
      // A new timezone alone keeps the pattern; a new pattern alone keeps the zone; `every` replaces both.
      patch.timing = this.timing(
        input.every !== undefined
          ? { every: input.every, cron: input.cron, timezone: input.timezone }
          : { cron: input.cron ?? current.cron, timezone: input.timezone ?? current.timezone },
      );
    }
    if (input.intent !== undefined) {
      await this.deps.intents.authorize(team, input.intent);
      patch.intent = { kind: input.intent.kind, params: input.intent.params as Record<string, unknown> };
    }
    if (input.name !== undefined) patch.name = input.name;
    if (input.paused !== undefined) patch.paused = input.paused;
    const updated = await withDurable(() => store.update(team.id, id, patch));
    if (!updated) throw new ScheduleNotFoundError(`No schedule ${id}`);
    await this.sync(updated);
    return this.view(updated);
  }

  /** Deletes the schedule, its runs and its job scheduler; the intents it submitted are left alone. */
  async delete(team: Team, id: string): Promise<void> {
    const store = this.store();
    const deleted = await withDurable(() => store.delete(team.id, id));
    if (!deleted) throw new ScheduleNotFoundError(`No schedule ${id}`);
    await this.deps.queue.removeJobScheduler(id).catch((error: unknown) => this.leftToReconcile(id, error));
  }

  async runs(team: Team, id: string, query: { cursor?: string; limit: number }): Promise<Page<ScheduleRun>> {
    const store = this.store();
    await this.find(team, id);
    return withDurable(() => store.listRuns(id, query));
  }

  private async find(team: Team, id: string): Promise<Schedule> {
    const store = this.store();
    const schedule = await withDurable(() => store.get(team.id, id));
    if (!schedule) throw new ScheduleNotFoundError(`No schedule ${id}`);
    return schedule;
  }

  /** Writes the job scheduler of a schedule just written; a failure is left to the reconcile job. */
  private async sync(schedule: Schedule): Promise<void> {
    await syncJobScheduler(this.deps.queue, schedule).catch((error: unknown) => this.leftToReconcile(schedule.id, error));
  }

  private leftToReconcile(id: string, error: unknown): void {
    this.deps.log.warn({ err: { message: error instanceof Error ? error.message : String(error) }, scheduleId: id }, 'job scheduler not written now; the reconcile job will');
  }

  /**
   * The schedule with its next run times: a cron pattern's from now, in its zone, as BullMQ
   * computes them; an interval's from the scheduler's pending run when Redis answers.
   */
  private async view(schedule: Schedule): Promise<ScheduleView> {
    if (schedule.paused) return { ...schedule, nextRuns: [] };
    const timing = timingOf(schedule);
    let first: Date | undefined;
    if ('everyMs' in timing) {
      const scheduler = await this.deps.queue.getJobScheduler(schedule.id).catch(() => undefined);
      if (scheduler?.next !== undefined) first = new Date(scheduler.next);
    }
    const now = this.deps.now();
    return { ...schedule, nextRuns: nextRuns(timing, now, NEXT_RUNS_SHOWN, first && first > now ? first : undefined).map((d) => d.toISOString()) };
  }
}

export interface SchedulesPluginOptions {
  keyPrefix: string;
  /** Shortest interval accepted, in ms (`SCHEDULE_MIN_EVERY_MS`). Default 60000. */
  minEveryMs?: number;
  now: () => Date;
}

export default fp<SchedulesPluginOptions>(
  async (fastify, options) => {
    const database = fastify.durableDatabase;
    const queue = new Queue(SCHEDULES_QUEUE, { connection: fastify.queueRedis, prefix: bullPrefix(options.keyPrefix) });
    queue.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'schedules queue error'));
    fastify.addHook('onClose', async () => {
      await closeHandshaken(queue);
    });
    fastify.decorate(
      'schedules',
      new SchedulesService({
        store: database ? new ScheduleStore(database, options.now) : undefined,
        queue,
        intents: fastify.intents,
        minEveryMs: options.minEveryMs ?? DEFAULT_MIN_EVERY_MS,
        now: options.now,
        log: fastify.log,
      }),
    );
  },
  { name: 'schedules', dependencies: ['redis', 'durable-store', 'intents-service'] },
);
