import { describe, expect, it } from 'vitest';
import { IntentHistory } from './intent-history.js';
import { migrateToLatest } from './migrate.js';
import { endedRecord } from './test/records.js';
import { openTestDatabase } from './test/open-test-database.js';

async function setup() {
  const { database } = await openTestDatabase('audit');
  await migrateToLatest(database);
  return { database, history: new IntentHistory(database) };
}

describe('IntentHistory.audit', () => {
  it('keeps who submitted each intent, and pages every team newest first with team, kind and time filters', async () => {
    const { history } = await setup();
    const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));
    const a1 = endedRecord('team-a', { actor: { type: 'token', id: 'tok_a1' } }, day(1));
    const b1 = endedRecord('team-b', { kind: 'project.delete', actor: { type: 'schedule', id: 'sch_1' } }, day(2));
    const a2 = endedRecord('team-a', { kind: 'project.delete', actor: { type: 'token', id: 'file-0123456789ab' } }, day(3));
    const old = endedRecord('team-a', { actor: undefined }, day(4));
    for (const record of [a1, b1, a2, old]) await history.record(record);

    const all = await history.audit({ limit: 10 });
    expect(all.map((i) => i.id)).toEqual([old.id, a2.id, b1.id, a1.id]);
    expect(all.map((i) => i.actor)).toEqual([undefined, { type: 'token', id: 'file-0123456789ab' }, { type: 'schedule', id: 'sch_1' }, { type: 'token', id: 'tok_a1' }]);
    // The full record comes back as it was written, actor included.
    expect(await history.get('team-a', a1.id)).toEqual(a1);

    expect((await history.audit({ teamId: 'team-a', limit: 10 })).map((i) => i.id)).toEqual([old.id, a2.id, a1.id]);
    expect((await history.audit({ kind: 'project.delete', limit: 10 })).map((i) => i.id)).toEqual([a2.id, b1.id]);
    expect((await history.audit({ from: day(2), to: day(4), limit: 10 })).map((i) => i.id)).toEqual([a2.id, b1.id]);
    // Cursor pages.
    const first = await history.audit({ limit: 2 });
    const second = await history.audit({ limit: 2, before: first.at(-1)!.id });
    expect([...first, ...second].map((i) => i.id)).toEqual(all.map((i) => i.id));
  });
});
