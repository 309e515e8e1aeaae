import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../migrate.js';
import { openTestDatabase } from '../test/open-test-database.js';
import { ScheduleStore } from './schedule-store.js';

async function setup() {
  const { database } = await openTestDatabase('schedules');
  await migrateToLatest(database);
  let now = new Date('2027-03-26T12:00:00.000Z');
  const store = new ScheduleStore(database, () => now);
  return { database, store, setNow: (d: Date) => void (now = d) };
}

const intent = { kind: 'endpoint.suspend' as const, params: { projectId: 'p-1', endpointId: 'ep-1' } };

describe('ScheduleStore', () => {
  it('creates, reads, pages, updates (version + 1) and deletes a team’s schedules, never another team’s', async () => {
    const { store, setNow } = await setup();
    const cron = await store.create({ teamId: 'a', name: 'night', timing: { cron: '0 20 * * 1-5', timezone: 'Europe/Paris' }, intent });
    expect(cron).toMatchObject({ teamId: 'a', name: 'night', cron: '0 20 * * 1-5', timezone: 'Europe/Paris', intent, paused: false, version: 1 });
    expect(cron.id).toMatch(/^sch_/);
    setNow(new Date('2027-03-26T12:00:01.000Z'));
    const every = await store.create({ teamId: 'a', timing: { everyMs: 3_600_000 }, intent, paused: true });
    expect(every).toMatchObject({ everyMs: 3_600_000, paused: true });
    expect(every).not.toHaveProperty('cron');
    await store.create({ teamId: 'b', timing: { everyMs: 60_000 }, intent });

    const first = await store.list('a', { limit: 1 });
    expect(first.items.map((s) => s.id)).toEqual([every.id]);
    const second = await store.list('a', { limit: 1, ...(first.nextCursor ? { cursor: first.nextCursor } : {}) });
    expect(second).toEqual({ items: [cron] });
    expect(await store.get('b', cron.id)).toBeUndefined();
    expect((await store.page({ limit: 10 })).length).toBe(3);

    const changed = await store.update('a', cron.id, { timing: { everyMs: 120_000 }, paused: true, name: null });
    expect(changed).toMatchObject({ everyMs: 120_000, paused: true, version: 2 });
    expect(changed).not.toHaveProperty('cron');
    expect(changed).not.toHaveProperty('name');
    expect(await store.update('b', cron.id, { paused: false })).toBeUndefined();
    expect(await store.delete('b', cron.id)).toBe(false);
    expect(await store.delete('a', cron.id)).toBe(true);
    expect(await store.getById(cron.id)).toBeUndefined();
  });

  it('records a tick once, pages runs newest first, finds the last submitted one, and prunes old runs', async () => {
    const { store } = await setup();
    const schedule = await store.create({ teamId: 'a', timing: { everyMs: 60_000 }, intent });
    const tick = (m: number) => new Date(Date.UTC(2027, 2, 26, 12, m)).toISOString();
    const run = await store.recordRun({ scheduleId: schedule.id, teamId: 'a', tickAt: tick(0), status: 'submitted', intentId: 'int_1' });
    expect(run).toMatchObject({ tickAt: tick(0), status: 'submitted', intentId: 'int_1' });
    // A re-delivered tick changes nothing.
    expect(await store.recordRun({ scheduleId: schedule.id, teamId: 'a', tickAt: tick(0), status: 'skipped', reason: 'x' })).toEqual(run);
    await store.recordRun({ scheduleId: schedule.id, teamId: 'a', tickAt: tick(1), status: 'skipped', intentId: 'int_1', reason: 'previous_intent_active' });
    await store.recordRun({ scheduleId: schedule.id, teamId: 'a', tickAt: tick(2), status: 'refused', reason: 'project_not_found', detail: 'No project p-1' });
    expect((await store.lastSubmitted(schedule.id, new Date(tick(2))))?.intentId).toBe('int_1');
    expect(await store.lastSubmitted(schedule.id, new Date(tick(0)))).toBeUndefined();
    const page = await store.listRuns(schedule.id, { limit: 2 });
    expect(page.items.map((r) => r.status)).toEqual(['refused', 'skipped']);
    expect((await store.listRuns(schedule.id, { limit: 2, cursor: page.nextCursor ?? '' })).items.map((r) => r.tickAt)).toEqual([tick(0)]);
    expect(await store.pruneRuns(new Date(tick(1)))).toBe(1);
    // Runs go with their schedule; a run of a deleted schedule is not recorded.
    await store.delete('a', schedule.id);
    expect((await store.listRuns(schedule.id)).items).toEqual([]);
    expect(await store.recordRun({ scheduleId: schedule.id, teamId: 'a', tickAt: tick(3), status: 'submitted', intentId: 'int_2' })).toBeUndefined();
  });
});
