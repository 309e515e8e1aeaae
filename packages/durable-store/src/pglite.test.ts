import { describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from './database.js';
import { IntentHistory } from './intent-history.js';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import { endedRecord } from './test/records.js';
import { openTestDatabase } from './test/open-test-database.js';

// The other tests run on the run's database (the machine's PostgreSQL when one answers);
// this one always runs on PGlite, so that both engines are covered on every machine.
describe('on an embedded PGlite', () => {
  it('migrates, keeps and lists the history, and finds both again after a restart; in memory too', { timeout: 120_000 }, async () => {
    const { database, reopen } = await openTestDatabase('pglite', { engine: 'pglite' });
    expect(database.engine).toBe('pglite');
    expect(await migrateToLatest(database)).toEqual(Object.keys(migrations));
    const older = endedRecord('team-a', { status: 'failed' }, new Date('2026-11-01T00:00:00.000Z'));
    const newer = endedRecord('team-a', {}, new Date('2026-11-02T00:00:00.000Z'));
    const history = new IntentHistory(database);
    expect(await history.record(newer)).toBe('written');
    expect(await history.record(newer)).toBe('unchanged');
    expect(await history.recordPartial({ type: 'intent.finished', intentId: older.id, teamId: 'team-a', kind: older.kind, status: 'failed', at: older.finishedAt! })).toBe('written');
    // Concurrent callers share PGlite's one session without stepping into each other's transactions.
    await Promise.all([history.record(older), migrateToLatest(database), history.list('team-a', { limit: 10 })]);

    const restarted = await reopen();
    expect(await migrateToLatest(restarted)).toEqual([]);
    const again = new IntentHistory(restarted);
    expect(await again.list('team-a', { limit: 10 })).toEqual([newer, older]);
    expect(await again.list('team-a', { limit: 10, status: 'failed' })).toEqual([older]);
    expect(await again.get('team-b', newer.id)).toBeUndefined();

    const memory = await openDatabase({ url: 'pglite:memory', schema: 'neonops' });
    onTestFinished(() => memory.close());
    await migrateToLatest(memory);
    await new IntentHistory(memory).record(newer);
    expect(await new IntentHistory(memory).get('team-a', newer.id)).toEqual(newer);
  });
});
