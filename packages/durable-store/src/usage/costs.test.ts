import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../migrate.js';
import { openTestDatabase } from '../test/open-test-database.js';
import { costOf, DEFAULT_PRICES, forecastMonth, monthBounds, monthToDateSpend, parsePriceTable, priceTableSchema } from './costs.js';
import { emptyUsage, UsageStore } from './usage-store.js';

describe('costs', () => {
  it('turns usage into money line by line at the table’s prices', () => {
    const usage = {
      ...emptyUsage(),
      compute_unit_seconds: 36_000, // 10 CU-hours
      root_branch_bytes_month: 2e9, // 2 GB-months
      child_branch_bytes_month: 1e9,
      instant_restore_bytes_month: 5e8,
      public_network_transfer_bytes: 3e9,
      private_network_transfer_bytes: 1e9,
      extra_branches_month: 2,
      snapshot_storage_bytes_month: 1e9,
    };
    const cost = costOf(usage, DEFAULT_PRICES);
    expect(cost.lines).toEqual({
      compute: 10 * 0.106,
      rootStorage: 2 * 0.35,
      childStorage: 0.35,
      instantRestore: 0.5 * 0.2,
      publicTransfer: 3 * 0.1,
      privateTransfer: 0.01,
      extraBranches: 3,
      snapshotStorage: 0,
    });
    expect(cost.total).toBeCloseTo(1.06 + 0.7 + 0.35 + 0.1 + 0.3 + 0.01 + 3, 10);
    expect(costOf(usage, parsePriceTable('{"computePerCuHour":0.222}')).lines.compute).toBeCloseTo(2.22, 10);
  });

  it('refuses a price table that is not JSON, has a negative or unknown price', () => {
    expect(() => parsePriceTable('{')).toThrow(/not valid JSON/);
    expect(() => parsePriceTable('{"computePerCuHour":-1}')).toThrow();
    expect(() => parsePriceTable('{"computePerCUHour":1}')).toThrow();
    expect(parsePriceTable(undefined)).toEqual(DEFAULT_PRICES);
    expect(priceTableSchema.parse({})).toEqual(DEFAULT_PRICES);
  });

  it('forecasts the month linearly from the month-to-date daily average', () => {
    expect(monthBounds('2026-02')).toEqual({ from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') });
    expect(() => monthBounds('2026-13')).toThrow();
    const f = forecastMonth(10, '2026-11', new Date('2026-11-06T00:00:00Z'));
    expect(f).toEqual({ method: 'linear-daily-average', elapsedDays: 5, daysInMonth: 30, total: 60 });
    expect(forecastMonth(10, '2026-11', new Date('2026-12-03T00:00:00Z')).total).toBe(10);
    expect(forecastMonth(0, '2026-11', new Date('2026-11-01T00:00:00Z')).total).toBe(0);
  });

  it('gives a team’s month-to-date spend (money and CU-hours) from the stored usage', async () => {
    const { database } = await openTestDatabase('costs');
    await migrateToLatest(database);
    const store = new UsageStore(database);
    const hour = (iso: string) => new Date(iso);
    await store.upsert([
      { projectId: 'p1', branchId: 'b1', hour: hour('2026-10-31T23:00:00Z'), teamId: 'team-a', metrics: { compute_unit_seconds: 99_999 } },
      { projectId: 'p1', branchId: 'b1', hour: hour('2026-11-01T00:00:00Z'), teamId: 'team-a', metrics: { compute_unit_seconds: 7200, root_branch_bytes_month: 1e9 } },
      { projectId: 'p1', branchId: 'b1', hour: hour('2026-11-10T05:00:00Z'), teamId: 'team-a', metrics: { compute_unit_seconds: 3600 } },
      { projectId: 'p2', branchId: 'b1', hour: hour('2026-11-02T00:00:00Z'), teamId: 'team-b', metrics: { compute_unit_seconds: 3600 } },
    ]);
    const spend = await monthToDateSpend(store, DEFAULT_PRICES, { teamId: 'team-a', month: '2026-11', at: new Date('2026-11-10T05:00:00Z') });
    // The hour that starts at `at` is not in [from, at).
    expect(spend).toMatchObject({ teamId: 'team-a', month: '2026-11', from: '2026-11-01T00:00:00.000Z', to: '2026-11-10T05:00:00.000Z', cuHours: 2 });
    expect(spend.cost.total).toBeCloseTo(2 * 0.106 + 0.35, 10);
    const whole = await monthToDateSpend(store, DEFAULT_PRICES, { teamId: 'team-a', month: '2026-11', at: new Date('2027-01-01T00:00:00Z') });
    expect(whole.cuHours).toBe(3);
    expect(whole.to).toBe('2026-12-01T00:00:00.000Z');
    expect((await monthToDateSpend(store, DEFAULT_PRICES, { teamId: 'team-a', month: '2026-12', at: new Date('2026-11-20T00:00:00Z') })).cost.total).toBe(0);
  });
});
