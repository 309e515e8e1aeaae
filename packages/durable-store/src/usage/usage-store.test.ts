import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../migrate.js';
import { openTestDatabase } from '../test/open-test-database.js';
import { emptyUsage, UsageStore, type UsageHourRow } from './usage-store.js';

const H = 3_600_000;
const start = Date.parse('2026-10-31T22:00:00.000Z');

function rows(): UsageHourRow[] {
  const out: UsageHourRow[] = [];
  // 6 hours across a day and a month boundary: two projects of team-a (one with two branches), one of team-b.
  for (let h = 0; h < 6; h++) {
    const hour = new Date(start + h * H);
    out.push({ projectId: 'p-a1', branchId: 'br-main', hour, teamId: 'team-a', metrics: { compute_unit_seconds: 100 + h, public_network_transfer_bytes: 10 } });
    out.push({ projectId: 'p-a1', branchId: 'br-dev', hour, teamId: 'team-a', sourceBranchId: 'br-main', metrics: { compute_unit_seconds: 1 } });
    out.push({ projectId: 'p-a2', branchId: '', hour, teamId: 'team-a', metrics: { compute_unit_seconds: 7, extra_branches_month: 0.5 } });
    out.push({ projectId: 'p-b1', branchId: 'br-main', hour, teamId: 'team-b', metrics: { compute_unit_seconds: 1000 } });
  }
  return out;
}

async function setup(engine?: 'pglite') {
  const { database } = await openTestDatabase('usage', engine ? { engine } : {});
  await migrateToLatest(database);
  return { database, store: new UsageStore(database) };
}

async function behaves(store: UsageStore) {
  const all = rows();
  expect(await store.upsert(all)).toEqual({ written: 24, unchanged: 0 });
  // Collecting the same data again changes nothing.
  expect(await store.upsert(all)).toEqual({ written: 0, unchanged: 24 });
  // Late data corrects one hour.
  const late = all.map((r) => (r.projectId === 'p-b1' && r.hour.getTime() === start ? { ...r, metrics: { compute_unit_seconds: 1500 } } : r));
  expect(await store.upsert(late)).toEqual({ written: 1, unchanged: 23 });

  const daily = await store.aggregate({ from: new Date(start), to: new Date(start + 6 * H), granularity: 'daily', groupBy: 'project', teamId: 'team-a' });
  expect(daily.map((b) => [b.bucket, b.key, b.metrics.compute_unit_seconds])).toEqual([
    ['2026-10-31T00:00:00.000Z', 'p-a1', 100 + 101 + 2],
    ['2026-10-31T00:00:00.000Z', 'p-a2', 14],
    ['2026-11-01T00:00:00.000Z', 'p-a1', 102 + 103 + 104 + 105 + 4],
    ['2026-11-01T00:00:00.000Z', 'p-a2', 28],
  ]);
  expect(daily[1]!.metrics).toEqual({ ...emptyUsage(), compute_unit_seconds: 14, extra_branches_month: 1 });

  const monthly = await store.aggregate({ from: new Date(start), to: new Date(start + 6 * H), granularity: 'monthly', groupBy: 'team' });
  expect(monthly.map((b) => [b.bucket, b.key, b.metrics.compute_unit_seconds])).toEqual([
    ['2026-10-01T00:00:00.000Z', 'team-a', 100 + 101 + 2 + 14],
    ['2026-10-01T00:00:00.000Z', 'team-b', 1500 + 1000],
    ['2026-11-01T00:00:00.000Z', 'team-a', 102 + 103 + 104 + 105 + 4 + 28],
    ['2026-11-01T00:00:00.000Z', 'team-b', 4000],
  ]);

  // Hourly by branch, paged by keyset cursor: the pages put together are the whole.
  const query = { from: new Date(start), to: new Date(start + 6 * H), granularity: 'hourly' as const, groupBy: 'branch' as const };
  const whole = await store.aggregate(query);
  expect(whole).toHaveLength(24);
  const paged = [];
  let after;
  for (;;) {
    const page = await store.aggregate({ ...query, limit: 5, ...(after ? { after } : {}) });
    if (page.length === 0) break;
    paged.push(...page);
    const last = page[page.length - 1]!;
    after = { bucket: last.bucket, key: last.key };
  }
  expect(paged).toEqual(whole);
  expect(whole.slice(0, 4).map((b) => b.key)).toEqual(['p-a1/br-dev', 'p-a1/br-main', 'p-a2/', 'p-b1/br-main']);

  // [from, to) bounds and project filters.
  const totals = await store.totals({ teamId: 'team-a', from: new Date('2026-11-01T00:00:00.000Z'), to: new Date('2026-12-01T00:00:00.000Z') });
  expect(totals.compute_unit_seconds).toBe(102 + 103 + 104 + 105 + 4 + 28);
  expect(await store.totals({ projectIds: [], from: new Date(start), to: new Date(start + H) })).toEqual(emptyUsage());
  expect((await store.totals({ projectIds: ['p-a2'], from: new Date(start), to: new Date(start + H) })).compute_unit_seconds).toBe(7);

  // Replacing a window: p-a2's project-level rows give way to per-branch rows; other projects stay.
  const replacement: UsageHourRow[] = [0, 1].map((h) => ({ projectId: 'p-a2', branchId: 'br-x', hour: new Date(start + h * H), teamId: 'team-a', metrics: { compute_unit_seconds: 7 } }));
  expect(await store.replaceWindow({ projectIds: ['p-a2'], from: new Date(start), to: new Date(start + 2 * H), rows: replacement })).toEqual({ written: 2, unchanged: 0, removed: 2 });
  expect(await store.replaceWindow({ projectIds: ['p-a2'], from: new Date(start), to: new Date(start + 2 * H), rows: replacement })).toEqual({ written: 0, unchanged: 2, removed: 0 });
  expect((await store.totals({ projectIds: ['p-a2'], from: new Date(start), to: new Date(start + 6 * H) })).compute_unit_seconds).toBe(42);
  await expect(store.replaceWindow({ projectIds: ['p-a2'], from: new Date(start), to: new Date(start + H), rows: replacement })).rejects.toThrow(/outside the window/);
  await expect(store.upsert([{ ...replacement[0]!, hour: new Date(start + 1) }])).rejects.toThrow(/not on the hour/);

  // The run log.
  await store.startRun({ id: 'run-1', windowFrom: new Date(start), windowTo: new Date(start + 6 * H), startedAt: new Date(start + 6 * H) });
  expect((await store.listRuns())[0]).toMatchObject({ id: 'run-1', status: 'running', errors: [] });
  const error = { endpoint: 'GET /consumption_history/v2/branches', status: 429, code: 'rate_limited', message: 'Too many requests', projectIds: ['p-a1'] };
  await store.finishRun('run-1', { status: 'partial', projects: 3, calls: 2, rowsWritten: 24, errors: [error], finishedAt: new Date(start + 6 * H + 1000) });
  expect(await store.listRuns()).toEqual([
    { id: 'run-1', windowFrom: new Date(start).toISOString(), windowTo: new Date(start + 6 * H).toISOString(), status: 'partial', projects: 3, calls: 2, rowsWritten: 24, errors: [error], startedAt: new Date(start + 6 * H).toISOString(), finishedAt: new Date(start + 6 * H + 1000).toISOString() },
  ]);
}

describe('UsageStore', () => {
  it('upserts idempotently, corrects late data, aggregates by hour/day/month and team/project/branch with keyset pages, logs runs', async () => {
    const { store } = await setup();
    await behaves(store);
  });

  it('behaves the same on PGlite', { timeout: 120_000 }, async () => {
    const { store, database } = await setup('pglite');
    expect(database.engine).toBe('pglite');
    await behaves(store);
  });
});
