import { migrateToLatest, openDatabase, ScheduleStore, type DurableDatabase } from '@neonops/durable-store';
import { bullPrefix, SCHEDULES_QUEUE } from '@neonops/intents';
import { useTestDatabase } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';

const now = new Date('2027-03-26T12:00:00.000Z');
const suspend = { kind: 'endpoint.suspend', params: { projectId: 'p-alpha', endpointId: 'ep-1' } };

async function setup(options: { database?: boolean } = {}) {
  let store: ScheduleStore | undefined;
  let database: DurableDatabase | undefined;
  if (options.database !== false) {
    const target = useTestDatabase('api-schedules');
    database = await openDatabase({ url: target.url, schema: target.schema });
    onTestFinished(() => database?.close());
    await migrateToLatest(database);
    store = new ScheduleStore(database);
  }
  const t = await buildTestApp({ ...(database ? { database: { database } } : {}), now: () => now, scheduleMinEveryMs: 1000 });
  const queue = new Queue(SCHEDULES_QUEUE, { connection: t.redis.connect(), prefix: bullPrefix(t.redis.prefix) });
  onTestFinished(() => queue.close());
  return { t, store, queue };
}

describe('schedules routes', () => {
  it('creates a cron schedule in a time zone: 201, its next runs across the DST change, and its job scheduler', async () => {
    const { t, queue } = await setup();
    const created = await t.as('alpha', {
      method: 'POST',
      url: '/v1/schedules',
      payload: { name: 'morning suspend', cron: '0 9 * * *', timezone: 'Europe/Paris', intent: suspend },
    });
    expect(created.statusCode).toBe(201);
    const view = created.json();
    expect(created.headers.location).toBe(`/v1/schedules/${view.id}`);
    expect(view).toMatchObject({ teamId: 'alpha', name: 'morning suspend', cron: '0 9 * * *', timezone: 'Europe/Paris', intent: suspend, paused: false, version: 1 });
    expect(view.nextRuns).toEqual(['2027-03-27T08:00:00.000Z', '2027-03-28T07:00:00.000Z', '2027-03-29T07:00:00.000Z', '2027-03-30T07:00:00.000Z', '2027-03-31T07:00:00.000Z']);
    expect(await queue.getJobScheduler(view.id)).toMatchObject({ pattern: '0 9 * * *', tz: 'Europe/Paris', template: { data: { scheduleId: view.id, teamId: 'alpha', version: 1 } } });
    const got = await t.as('alpha', { method: 'GET', url: `/v1/schedules/${view.id}` });
    expect(got.json(), got.body).toEqual(view);
    // Another team sees nothing of it.
    expect((await t.as('beta', { method: 'GET', url: `/v1/schedules/${view.id}` })).json()).toMatchObject({ status: 404, code: 'schedule_not_found' });
  });

  it('creates an interval (ISO 8601), lists with cursor pages, patches, pauses, resumes and deletes, keeping BullMQ in step', async () => {
    const { t, queue } = await setup();
    const a = (await t.as('alpha', { method: 'POST', url: '/v1/schedules', payload: { every: 'PT15M', intent: suspend } })).json();
    expect(a).toMatchObject({ everyMs: 900_000 });
    expect(await queue.getJobScheduler(a.id)).toMatchObject({ every: 900_000 });
    const b = (await t.as('alpha', { method: 'POST', url: '/v1/schedules', payload: { cron: '*/5 * * * *', intent: suspend, paused: true } })).json();
    expect(b).toMatchObject({ timezone: 'UTC', paused: true, nextRuns: [] });
    expect(await queue.getJobScheduler(b.id)).toBeUndefined();

    const page1 = (await t.as('alpha', { method: 'GET', url: '/v1/schedules?limit=1' })).json();
    const page2 = (await t.as('alpha', { method: 'GET', url: `/v1/schedules?limit=1&cursor=${page1.nextCursor}` })).json();
    // Both made in the same millisecond (a fixed clock): ids order them, newest first otherwise.
    expect([...page1.items, ...page2.items].map((s: { id: string }) => s.id).sort()).toEqual([a.id, b.id].sort());
    expect(page2.nextCursor).toBeUndefined();
    expect((await t.as('beta', { method: 'GET', url: '/v1/schedules' })).json()).toEqual({ items: [] });

    const patched = await t.as('alpha', { method: 'PATCH', url: `/v1/schedules/${a.id}`, payload: { cron: '30 7 * * 1-5', timezone: 'America/New_York', name: 'weekdays' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ cron: '30 7 * * 1-5', timezone: 'America/New_York', name: 'weekdays', version: 2 });
    expect(patched.json()).not.toHaveProperty('everyMs');
    expect(await queue.getJobScheduler(a.id)).toMatchObject({ pattern: '30 7 * * 1-5', tz: 'America/New_York', template: { data: { version: 2 } } });
    // A new zone alone keeps the pattern.
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/schedules/${a.id}`, payload: { timezone: 'Asia/Tokyo' } })).json()).toMatchObject({ cron: '30 7 * * 1-5', timezone: 'Asia/Tokyo' });

    const paused = await t.as('alpha', { method: 'POST', url: `/v1/schedules/${a.id}/pause` });
    expect(paused.json()).toMatchObject({ paused: true, nextRuns: [] });
    expect(await queue.getJobScheduler(a.id)).toBeUndefined();
    const resumed = await t.as('alpha', { method: 'POST', url: `/v1/schedules/${a.id}/resume` });
    expect(resumed.json()).toMatchObject({ paused: false });
    expect(resumed.json().nextRuns).toHaveLength(5);
    expect(await queue.getJobScheduler(a.id)).toMatchObject({ pattern: '30 7 * * 1-5', tz: 'Asia/Tokyo' });

    expect((await t.as('beta', { method: 'DELETE', url: `/v1/schedules/${a.id}` })).statusCode).toBe(404);
    expect((await t.as('alpha', { method: 'DELETE', url: `/v1/schedules/${a.id}` })).statusCode).toBe(204);
    expect(await queue.getJobScheduler(a.id)).toBeUndefined();
    expect((await t.as('alpha', { method: 'GET', url: `/v1/schedules/${a.id}` })).statusCode).toBe(404);
    expect((await t.as('alpha', { method: 'DELETE', url: `/v1/schedules/${a.id}` })).statusCode).toBe(404);
  });

  it('refuses bad input with 400 naming the field, and a request outside the team’s rights with 403/404, storing nothing', async () => {
    const { t, store, queue } = await setup();
    const post = (team: string, payload: Record<string, unknown>) => t.as(team, { method: 'POST', url: '/v1/schedules', payload });
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['alpha', { cron: '0 9 * *', intent: suspend }, 400, 'cron'],
      ['alpha', { cron: '0 25 * * *', intent: suspend }, 400, 'cron'],
      ['alpha', { cron: '0 9 * * *', timezone: 'Europe/Pariss', intent: suspend }, 400, 'timezone'],
      ['alpha', { every: 500, intent: suspend }, 400, 'every'],
      ['alpha', { every: 'fortnightly', intent: suspend }, 400, 'every'],
      ['alpha', { every: 60_000, cron: '* * * * *', intent: suspend }, 400, 'every'],
      ['alpha', { intent: suspend }, 400, 'cron'],
      ['alpha', { every: 60_000, intent: { kind: 'endpoint.suspend', params: { projectId: 'p-alpha' } } }, 400, 'intent'],
      ['alpha', { every: 60_000, intent: { kind: 'no.such.kind', params: {} } }, 400, 'intent'],
      ['alpha', { every: 60_000, intent: suspend, colour: 'red' }, 400, 'colour'],
      ['alpha', { every: 60_000, intent: { ...suspend, params: { projectId: 'p-beta', endpointId: 'ep-1' } } }, 404, 'project_not_found'],
      ['alpha', { every: 60_000, intent: { kind: 'api_key.revoke', params: { keyId: 3 } } }, 403, 'kind_forbidden'],
      ['beta', { every: 60_000, intent: { kind: 'project.create', params: {} } }, 403, 'project_creation_forbidden'],
    ];
    for (const [team, payload, status, names] of cases) {
      const response = await post(team, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toContain(names);
    }
    const first = (await post('alpha', { every: 60_000, intent: suspend })).json();
    // PATCH: a bad field or an intent outside the rights changes nothing.
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/schedules/${first.id}`, payload: { every: 10 } })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/schedules/${first.id}`, payload: { timezone: 'Europe/Paris' } })).json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/schedules/${first.id}`, payload: { intent: { kind: 'api_key.revoke', params: { keyId: 3 } } } })).statusCode).toBe(403);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/schedules/nope' })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/schedules/${first.id}/runs?cursor=yesterday` })).statusCode).toBe(400);
    const stored = await store?.list('alpha');
    expect(stored?.items).toEqual([expect.objectContaining({ id: first.id, everyMs: 60_000, version: 1 })]);
    expect((await store?.list('beta'))?.items).toEqual([]);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([first.id]);
  });

  it('pages the runs of a schedule, newest tick first', async () => {
    const { t, store } = await setup();
    const schedule = (await t.as('alpha', { method: 'POST', url: '/v1/schedules', payload: { every: 60_000, intent: suspend } })).json();
    for (let m = 0; m < 3; m++) {
      await store?.recordRun({ scheduleId: schedule.id, teamId: 'alpha', tickAt: new Date(Date.UTC(2027, 2, 26, 12, m)).toISOString(), status: m === 1 ? 'skipped' : 'submitted', intentId: `int_${m}` });
    }
    const first = (await t.as('alpha', { method: 'GET', url: `/v1/schedules/${schedule.id}/runs?limit=2` })).json();
    expect(first.items.map((r: { tickAt: string; status: string }) => [r.tickAt, r.status])).toEqual([
      ['2027-03-26T12:02:00.000Z', 'submitted'],
      ['2027-03-26T12:01:00.000Z', 'skipped'],
    ]);
    const second = (await t.as('alpha', { method: 'GET', url: `/v1/schedules/${schedule.id}/runs?limit=2&cursor=${encodeURIComponent(first.nextCursor)}` })).json();
    expect(second).toEqual({ items: [expect.objectContaining({ tickAt: '2027-03-26T12:00:00.000Z', intentId: 'int_0' })] });
    expect((await t.as('beta', { method: 'GET', url: `/v1/schedules/${schedule.id}/runs` })).statusCode).toBe(404);
  });

  it('answers 503 durable_store_not_configured without a database', async () => {
    const { t } = await setup({ database: false });
    const response = await t.as('alpha', { method: 'POST', url: '/v1/schedules', payload: { every: 60_000, intent: suspend } });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'durable_store_not_configured' });
  });
});
