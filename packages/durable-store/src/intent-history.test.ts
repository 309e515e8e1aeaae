import { newIntentId, type IntentFinishedEvent } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { IntentHistory } from './intent-history.js';
import { migrateToLatest } from './migrate.js';
import { endedRecord } from './test/records.js';
import { openTestDatabase } from './test/open-test-database.js';

async function setup() {
  const { database } = await openTestDatabase('history');
  await migrateToLatest(database);
  return { database, history: new IntentHistory(database) };
}

const finished = (intentId: string, teamId = 'team-a'): IntentFinishedEvent => ({
  type: 'intent.finished',
  intentId,
  teamId,
  kind: 'endpoint.start',
  status: 'failed',
  at: '2026-11-29T10:00:00.000Z',
});

describe('IntentHistory', () => {
  it('keeps an ended intent as it was, and a repeat changes nothing', async () => {
    const { history, database } = await setup();
    const record = endedRecord('team-a');
    expect(await history.record(record)).toBe('written');
    const first = await database.db.selectFrom('intent_history').select('recorded_at').executeTakeFirstOrThrow();
    expect(await history.record(record)).toBe('unchanged');
    expect(await history.record({ ...record, status: 'failed' })).toBe('unchanged');
    expect(await history.get('team-a', record.id)).toEqual(record);
    const rows = await database.db.selectFrom('intent_history').select(['id', 'recorded_at']).execute();
    expect(rows).toEqual([{ id: record.id, recorded_at: first.recorded_at }]);
    // The record's optional fields stay absent when they were.
    const bare = endedRecord('team-a', { resources: undefined, result: undefined, idempotencyKey: undefined, startedAt: undefined, status: 'cancelled' });
    await history.record(bare);
    expect(await history.get('team-a', bare.id)).toEqual(bare);
  });

  it('writes what an event carries for an intent whose record is gone, and completes that row when the record comes', async () => {
    const { history } = await setup();
    const at = new Date('2026-11-28T09:00:00.000Z');
    const record = endedRecord('team-a', { kind: 'endpoint.start', status: 'failed' }, at);
    expect(await history.recordPartial(finished(record.id))).toBe('written');
    expect(await history.recordPartial(finished(record.id))).toBe('unchanged');
    expect(await history.get('team-a', record.id)).toEqual({
      id: record.id,
      teamId: 'team-a',
      kind: 'endpoint.start',
      status: 'failed',
      params: {},
      steps: [],
      operationIds: [],
      hasSecrets: false,
      cancelRequested: false,
      createdAt: at.toISOString(),
      updatedAt: '2026-11-29T10:00:00.000Z',
      finishedAt: '2026-11-29T10:00:00.000Z',
      partial: true,
    });
    expect(await history.record(record)).toBe('written');
    expect(await history.get('team-a', record.id)).toEqual(record);
    // …and a late partial write never takes the full row back.
    expect(await history.recordPartial(finished(record.id))).toBe('unchanged');
    expect(await history.get('team-a', record.id)).toEqual(record);
  });

  it('refuses an intent that has not ended', async () => {
    const { history } = await setup();
    await expect(history.record(endedRecord('team-a', { status: 'running', finishedAt: undefined }))).rejects.toThrow(/not ended/);
  });

  it('lists a team’s intents newest first by id, filtered and bounded; another team sees none of them', async () => {
    const { history } = await setup();
    const base = Date.parse('2026-11-01T00:00:00.000Z');
    // Several per millisecond: the order is the id's, random part included, as Redis orders them.
    const records = Array.from({ length: 12 }, (_, i) =>
      endedRecord('team-a', { kind: i % 3 === 0 ? 'endpoint.start' : 'branch.create', status: i % 2 === 0 ? 'succeeded' : 'failed' }, new Date(base + Math.floor(i / 3))),
    );
    for (const r of records) await history.record(r);
    await history.record(endedRecord('team-b', {}, new Date(base + 1)));
    const ids = records.map((r) => r.id).sort().reverse();

    const all = await history.list('team-a', { limit: 100 });
    expect(all.map((r) => r.id)).toEqual(ids);
    expect((await history.list('team-a', { limit: 5 })).map((r) => r.id)).toEqual(ids.slice(0, 5));
    expect((await history.list('team-a', { limit: 5, before: ids[4] })).map((r) => r.id)).toEqual(ids.slice(5, 10));
    expect((await history.list('team-a', { limit: 100, before: ids[2], atLeast: ids[6] })).map((r) => r.id)).toEqual(ids.slice(3, 7));

    const failedStarts = await history.list('team-a', { limit: 100, status: 'failed', kind: 'endpoint.start' });
    expect(failedStarts.map((r) => r.id)).toEqual(all.filter((r) => r.status === 'failed' && r.kind === 'endpoint.start').map((r) => r.id));
    expect(failedStarts.length).toBeGreaterThan(0);

    expect((await history.list('team-b', { limit: 100 })).map((r) => r.teamId)).toEqual(['team-b']);
    expect(await history.get('team-b', records[0]!.id)).toBeUndefined();
    expect(await history.get('team-a', newIntentId())).toBeUndefined();
  });
});
