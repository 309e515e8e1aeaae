import { migrateToLatest, openDatabase, ScheduleStore, type Schedule, type ScheduleRun } from '@neonops/durable-store';
import {
  bullPrefix,
  IntentRights,
  IntentStore,
  IntentSubmitter,
  ProjectOwnership,
  repeatOptionsOf,
  SCHEDULE_TICK_JOB,
  scheduleTickJobOptions,
  SCHEDULES_QUEUE,
  syncJobScheduler,
  INTENTS_QUEUE,
  type IntentJobData,
} from '@neonops/intents';
import { teamSchema, type Team, type TeamInput, type TeamsSource } from '@neonops/teams';
import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { startSchedules, type SchedulesDeps } from './index.js';
import { runTick } from './run-tick.js';

const team = (input: TeamInput): Team => teamSchema.parse(input);
const suspend = { kind: 'endpoint.suspend' as const, params: { projectId: 'p-1', endpointId: 'ep-1' } };

async function setup(initialTeams: Team[] = [team({ id: 'payments', projects: ['p-1'] })]) {
  const redis = useTestRedis('schedules');
  const target = useTestDatabase('schedules');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const client = redis.connect();
  const store = new IntentStore(client, { prefix: redis.prefix });
  const schedules = new ScheduleStore(database);
  const queue = new Queue(SCHEDULES_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  const intentsQueue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  onTestFinished(() => Promise.all([queue.close(), intentsQueue.close()]).then(() => undefined));
  let teams = initialTeams;
  const teamsSource: TeamsSource = { list: async () => teams };
  const logger = createLogger({ level: 'silent' });
  const start = async (options: Partial<SchedulesDeps> = {}) => {
    const running = await startSchedules({
      connection: () => redis.connect(),
      redis: client,
      keyPrefix: redis.prefix,
      store,
      database,
      teams: teamsSource,
      logger,
      reconcileIntervalMs: 3_600_000,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
      ...options,
    });
    onTestFinished(() => running.close());
    return running;
  };
  /** Creates a schedule as the API does: the row, then its job scheduler. */
  const create = async (input: Parameters<ScheduleStore['create']>[0]): Promise<Schedule> => {
    const schedule = await schedules.create(input);
    await syncJobScheduler(queue, schedule);
    return schedule;
  };
  const runs = async (id: string): Promise<ScheduleRun[]> => (await schedules.listRuns(id, { limit: 100 })).items.reverse();
  const runsAtLeast = (id: string, n: number) => waitUntil(async () => ((await runs(id)).length >= n ? runs(id) : false), { what: `${n} runs of ${id}` });
  /** Ends an intent as a worker would (the schedule's next run is not skipped then). */
  const finish = (intentId: string) => store.finish(intentId, 'succeeded', { result: {} });
  return { client, prefix: redis.prefix, store, schedules, queue, intentsQueue, start, create, runs, runsAtLeast, finish, setTeams: (t: Team[]) => void (teams = t), database, logger };
}

const parisTime = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', hour12: false }).format(new Date(iso));

describe('team schedules in the worker', () => {
  it('submits a cron schedule’s intent at 09:00 Paris time on each day across the DST change (BullMQ’s own run times)', async () => {
    const h = await setup();
    const schedule = await h.schedules.create({ teamId: 'payments', timing: { cron: '0 9 * * *', timezone: 'Europe/Paris' }, intent: suspend });
    // A fixed clock for BullMQ: the scheduler starts on 23 March 2096 (Paris leaves UTC+1 for UTC+2 on the 25th);
    // each pending tick is promoted to run now, and BullMQ computes the next one from it. BullMQ
    // honours a start date only while it is in the future (past it, runs follow the wall clock),
    // so the date is far ahead: with 2027 this test failed from 27 March 2027 on.
    await h.queue.upsertJobScheduler(
      schedule.id,
      { ...repeatOptionsOf({ cron: '0 9 * * *', timezone: 'Europe/Paris' }), startDate: new Date('2096-03-23T12:00:00Z') },
      { name: SCHEDULE_TICK_JOB, data: { scheduleId: schedule.id, teamId: 'payments', version: schedule.version }, opts: scheduleTickJobOptions },
    );
    await h.start();
    for (let n = 1; n <= 4; n++) {
      const pending = await waitUntil(async () => (await h.queue.getDelayed()).find((job) => job.name === SCHEDULE_TICK_JOB));
      await pending.promote();
      const runs = await h.runsAtLeast(schedule.id, n);
      await h.finish(runs[n - 1]?.intentId ?? '');
    }
    const runs = await h.runs(schedule.id);
    expect(runs.map((r) => r.tickAt)).toEqual(['2096-03-24T08:00:00.000Z', '2096-03-25T07:00:00.000Z', '2096-03-26T07:00:00.000Z', '2096-03-27T07:00:00.000Z']);
    expect(runs.map((r) => parisTime(r.tickAt))).toEqual(['24/03, 09:00', '25/03, 09:00', '26/03, 09:00', '27/03, 09:00']);
    expect(runs.every((r) => r.status === 'submitted')).toBe(true);
    const intents = (await h.store.list('payments', { limit: 100 })).items;
    expect(intents.map((i) => i.id).sort()).toEqual(runs.map((r) => r.intentId).sort());
    expect(intents.every((i) => i.kind === 'endpoint.suspend' && i.params.endpointId === 'ep-1')).toBe(true);
  });

  it('skips a run while the previous intent is still active, and submits again once it ended', async () => {
    const h = await setup();
    const schedule = await h.create({ teamId: 'payments', timing: { everyMs: 200 }, intent: suspend });
    await h.start();
    const runs = await h.runsAtLeast(schedule.id, 3);
    const [first, ...rest] = runs;
    expect(first).toMatchObject({ status: 'submitted' });
    for (const run of rest) expect(run).toMatchObject({ status: 'skipped', reason: 'previous_intent_active', intentId: first?.intentId });
    expect((await h.store.list('payments')).items).toHaveLength(1);
    await h.finish(first?.intentId ?? '');
    const after = await waitUntil(async () => (await h.runs(schedule.id)).find((r) => r.tickAt > (rest.at(-1)?.tickAt ?? '') && r.status === 'submitted'));
    expect(after.intentId).not.toBe(first?.intentId);
    expect((await h.store.list('payments')).items).toHaveLength(2);
    // Ticks are the scheduler's run times: every 200 ms apart.
    const ticks = (await h.runs(schedule.id)).map((r) => Date.parse(r.tickAt));
    for (let i = 1; i < ticks.length; i++) expect((ticks[i] ?? 0) - (ticks[i - 1] ?? 0)).toBeGreaterThanOrEqual(200);
  });

  it('pauses (no scheduler, a tick in flight does nothing) and resumes', async () => {
    const h = await setup();
    const schedule = await h.create({ teamId: 'payments', timing: { everyMs: 200 }, intent: suspend });
    await h.start();
    await h.runsAtLeast(schedule.id, 1);
    const paused = await h.schedules.update('payments', schedule.id, { paused: true });
    await syncJobScheduler(h.queue, paused!);
    expect(await h.queue.getJobScheduler(schedule.id)).toBeUndefined();
    const count = (await h.runs(schedule.id)).length;
    // A tick already handed out when the pause happened: ignored, nothing recorded.
    const deps = {
      schedules: h.schedules,
      intents: h.store,
      submitter: new IntentSubmitter({ store: h.store, queue: h.intentsQueue }),
      rights: new IntentRights(h.client, { prefix: h.prefix, allTeams: () => [] }),
      teams: { list: async () => [team({ id: 'payments', projects: ['p-1'] })] },
      logger: h.logger,
      dedupeTtlMs: 60_000,
    };
    expect(await runTick(deps, schedule.id, new Date())).toEqual({ ignored: 'paused' });
    await waitUntil(async () => (await h.queue.getActiveCount()) === 0);
    expect((await h.runs(schedule.id)).length).toBeLessThanOrEqual(count + 1);
    const settled = (await h.runs(schedule.id)).length;

    const resumed = await h.schedules.update('payments', schedule.id, { paused: false });
    await syncJobScheduler(h.queue, resumed!);
    await h.runsAtLeast(schedule.id, settled + 1);
    expect(await h.queue.getJobScheduler(schedule.id)).toBeDefined();
  });

  it('records refused runs when the team’s rights were revoked after creation, and changes nothing', async () => {
    const h = await setup([team({ id: 'payments', projects: ['p-1'] }), team({ id: 'ops', admin: true })]);
    const ownership = new ProjectOwnership(h.client, { prefix: h.prefix });
    await ownership.record('payments', 'p-made');
    const made = await h.create({ teamId: 'payments', timing: { everyMs: 200 }, intent: { kind: 'endpoint.suspend', params: { projectId: 'p-made', endpointId: 'ep-1' } } });
    const admin = await h.create({ teamId: 'ops', timing: { everyMs: 200 }, intent: { kind: 'api_key.revoke', params: { keyId: 7 } } });
    await ownership.release('p-made');
    h.setTeams([team({ id: 'payments', projects: ['p-1'] }), team({ id: 'ops', admin: false })]);
    await h.start();
    const [refusedMade] = await h.runsAtLeast(made.id, 1);
    const [refusedAdmin] = await h.runsAtLeast(admin.id, 1);
    expect(refusedMade).toMatchObject({ status: 'refused', reason: 'project_not_found' });
    expect(refusedMade).not.toHaveProperty('intentId');
    expect(refusedAdmin).toMatchObject({ status: 'refused', reason: 'kind_forbidden' });
    // The team itself removed from the teams file.
    h.setTeams([]);
    const later = await waitUntil(async () => (await h.runs(made.id)).find((r) => r.reason === 'team_not_found'));
    expect(later.status).toBe('refused');
    expect((await h.store.list('payments')).items).toEqual([]);
    expect((await h.store.list('ops')).items).toEqual([]);
    expect(await h.intentsQueue.count()).toBe(0);
  });

  it('refuses at each run a schedule revoking the Neon API key the service runs on (NEON_API_KEY_ID), even an admin team\'s', async () => {
    const h = await setup([team({ id: 'ops', admin: true })]);
    const revoke = await h.create({ teamId: 'ops', timing: { everyMs: 200 }, intent: { kind: 'api_key.revoke', params: { keyId: 7 } } });
    await h.start({ serviceApiKeyIds: [7] });
    const [run] = await h.runsAtLeast(revoke.id, 1);
    expect(run).toMatchObject({ status: 'refused', reason: 'service_key_protected' });
    expect((await h.store.list('ops')).items).toEqual([]);
    expect(await h.intentsQueue.count()).toBe(0);
  });

  it('a tick repeated after a crash between its submit and its record makes one intent and one run', async () => {
    const h = await setup();
    const schedule = await h.schedules.create({ teamId: 'payments', timing: { everyMs: 60_000 }, intent: suspend });
    const deps = (crash: boolean) => ({
      schedules: h.schedules,
      intents: h.store,
      submitter: new IntentSubmitter({ store: h.store, queue: h.intentsQueue }),
      rights: new IntentRights(h.client, { prefix: h.prefix, allTeams: () => [] }),
      teams: { list: async () => [team({ id: 'payments', projects: ['p-1'] })] },
      logger: h.logger,
      dedupeTtlMs: 60_000,
      ...(crash
        ? {
            crashPoints: () => {
              throw new Error('killed');
            },
          }
        : {}),
    });
    const tickAt = new Date('2027-01-01T00:00:00Z');
    await expect(runTick(deps(true), schedule.id, tickAt)).rejects.toThrow('killed');
    expect(await h.runs(schedule.id)).toEqual([]);
    const again = await runTick(deps(false), schedule.id, tickAt);
    const third = await runTick(deps(false), schedule.id, tickAt);
    expect(third).toEqual(again);
    const intents = (await h.store.list('payments')).items;
    expect(intents).toHaveLength(1);
    expect(again).toMatchObject({ run: { status: 'submitted', intentId: intents[0]?.id, tickAt: tickAt.toISOString() } });
    expect((await h.intentsQueue.getJob(intents[0]?.id ?? ''))?.data.intentId).toBe(intents[0]?.id);
  });

  it('reconciles BullMQ with PostgreSQL: a row without scheduler gets one, a stale or orphan scheduler is fixed, a paused one removed', async () => {
    const h = await setup();
    // The API died after writing these rows and before their schedulers.
    const missing = await h.schedules.create({ teamId: 'payments', timing: { everyMs: 200 }, intent: suspend });
    const stale = await h.create({ teamId: 'payments', timing: { cron: '0 3 * * *', timezone: 'UTC' }, intent: suspend });
    await h.schedules.update('payments', stale.id, { timing: { cron: '0 4 * * *', timezone: 'Europe/Paris' } });
    const paused = await h.create({ teamId: 'payments', timing: { cron: '0 5 * * *', timezone: 'UTC' }, intent: suspend });
    await h.schedules.update('payments', paused.id, { paused: true });
    const deleted = await h.create({ teamId: 'payments', timing: { cron: '0 6 * * *', timezone: 'UTC' }, intent: suspend });
    await h.schedules.delete('payments', deleted.id);

    const running = await h.start();
    // The start reconcile runs in the background; one more run of it finds everything in step.
    await waitUntil(async () => (await h.queue.getJobScheduler(missing.id)) !== undefined);
    await waitUntil(async () => (await h.queue.getJobScheduler(deleted.id)) === undefined && (await h.queue.getJobScheduler(paused.id)) === undefined);
    const report = await running.reconcileNow();
    expect(report).toMatchObject({ upserted: 0, removed: 0, inStep: 3 });
    expect(await h.queue.getJobScheduler(stale.id)).toMatchObject({ pattern: '0 4 * * *', tz: 'Europe/Paris', template: { data: { version: 2 } } });
    await h.runsAtLeast(missing.id, 1);
  });

  it('a tick missed while no worker ran runs once, and the next one is in the future', async () => {
    const h = await setup();
    const schedule = await h.create({ teamId: 'payments', timing: { everyMs: 200 }, intent: suspend });
    const pending = await waitUntil(async () => (await h.queue.getJobs(['wait', 'delayed'])).find((job) => job.name === SCHEDULE_TICK_JOB));
    const due = pending.timestamp + (pending.opts.delay ?? 0);
    // Five intervals pass with every worker down.
    await waitUntil(() => Date.now() > due + 5 * 200, { intervalMs: 50 });
    const startedAt = Date.now();
    await h.start();
    const runs = await h.runsAtLeast(schedule.id, 2);
    expect(Date.parse(runs[0]?.tickAt ?? '')).toBe(due);
    expect(Date.parse(runs[1]?.tickAt ?? '')).toBeGreaterThanOrEqual(startedAt - 200);
  });
});
