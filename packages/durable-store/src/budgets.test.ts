import { describe, expect, it } from 'vitest';
import { BudgetStore, budgetPeriodOf } from './budgets.js';
import { migrateToLatest } from './migrate.js';
import { openTestDatabase } from './test/open-test-database.js';

async function setup(options: { engine?: 'pglite' } = {}) {
  const { database } = await openTestDatabase('budgets', options);
  await migrateToLatest(database);
  let now = new Date('2026-11-10T12:00:00.000Z');
  const store = new BudgetStore(database, () => now);
  return { database, store, setNow: (d: Date) => void (now = d) };
}

describe('BudgetStore', () => {
  it('stores one budget per team with default thresholds, and a put replaces it (creation time kept)', async () => {
    const { store, setNow } = await setup();
    expect(await store.get('team-a')).toBeUndefined();
    const first = await store.put({ teamId: 'team-a', unit: 'usd', amount: 120.5 });
    expect(first).toEqual({
      teamId: 'team-a',
      unit: 'usd',
      amount: 120.5,
      thresholds: [50, 80, 100],
      enforce: false,
      createdAt: '2026-11-10T12:00:00.000Z',
      updatedAt: '2026-11-10T12:00:00.000Z',
    });
    setNow(new Date('2026-11-11T00:00:00.000Z'));
    const second = await store.put({ teamId: 'team-a', unit: 'cu_hours', amount: 300, thresholds: [100, 25], enforce: true });
    expect(second).toMatchObject({ unit: 'cu_hours', amount: 300, thresholds: [25, 100], enforce: true, createdAt: first.createdAt, updatedAt: '2026-11-11T00:00:00.000Z' });
    await store.put({ teamId: 'team-b', unit: 'usd', amount: 10 });
    expect((await store.list()).map((b) => b.teamId)).toEqual(['team-a', 'team-b']);
    expect(await store.get('team-a')).toEqual(second);
    expect(await store.delete('team-b')).toBe(true);
    expect(await store.delete('team-b')).toBe(false);
  });

  it('refuses a budget the database would not hold (non-positive amount, duplicate thresholds) and keeps the old one', async () => {
    const { store } = await setup();
    const kept = await store.put({ teamId: 'team-a', unit: 'usd', amount: 50 });
    await expect(store.put({ teamId: 'team-a', unit: 'usd', amount: 0 })).rejects.toThrow();
    await expect(store.put({ teamId: 'team-a', unit: 'usd', amount: 10, thresholds: [50, 50] })).rejects.toThrow(/distinct/);
    expect(await store.get('team-a')).toEqual(kept);
  });

  it('works the same on PGlite', async () => {
    const { store } = await setup({ engine: 'pglite' });
    await store.put({ teamId: 'team-a', unit: 'cu_hours', amount: 12.5, thresholds: [100, 50] });
    expect(await store.get('team-a')).toMatchObject({ unit: 'cu_hours', amount: 12.5, thresholds: [50, 100], enforce: false });
    await expect(store.put({ teamId: 'team-a', unit: 'usd', amount: -1 })).rejects.toThrow();
  });

  it('periods are UTC calendar months', () => {
    expect(budgetPeriodOf(new Date('2026-12-31T23:59:59.999Z'))).toEqual({
      id: '2026-12',
      start: new Date('2026-12-01T00:00:00.000Z'),
      end: new Date('2027-01-01T00:00:00.000Z'),
    });
    expect(budgetPeriodOf(new Date('2027-01-01T00:00:00.000Z')).id).toBe('2027-01');
  });
});
