import { describe, expect, it } from 'vitest';
import { IntentHistory } from './intent-history.js';
import { migrateToLatest } from './migrate.js';
import { DEFAULT_RETENTION, pruneDurableStore } from './retention.js';
import { openTestDatabase } from './test/open-test-database.js';
import { endedRecord } from './test/records.js';

const NOW = new Date('2026-11-30T12:00:00.000Z');
const daysAgo = (days: number, extraMs = 0) => new Date(NOW.getTime() - days * 86_400_000 + extraMs);

async function setup(engine?: 'pglite') {
  const { database } = await openTestDatabase('retention', engine ? { engine } : {});
  await migrateToLatest(database);
  return { database, history: new IntentHistory(database) };
}

const usageRow = (projectId: string, hour: Date) => ({
  project_id: projectId,
  branch_id: '',
  hour: hour.toISOString(),
  team_id: 'team-a',
  source_branch_id: null,
  compute_unit_seconds: 1,
  root_branch_bytes_month: 0,
  child_branch_bytes_month: 0,
  instant_restore_bytes_month: 0,
  public_network_transfer_bytes: 0,
  private_network_transfer_bytes: 0,
  extra_branches_month: 0,
  snapshot_storage_bytes_month: 0,
});

const finding = (key: string, resolvedAt: Date | null) => ({
  team_id: 'team-a',
  key,
  kind: 'idle_branch',
  project_id: 'p-1',
  branch_id: 'br-1',
  detail: '{}',
  first_seen_at: daysAgo(200).toISOString(),
  last_seen_at: daysAgo(100).toISOString(),
  resolved_at: resolvedAt?.toISOString() ?? null,
  intent_id: null,
});

describe('pruneDurableStore (retention)', () => {
  it.each([['the run’s database', undefined], ['PGlite', 'pglite' as const]])('deletes exactly the rows past each table’s cutoff and keeps the rest; a rerun deletes nothing more (%s)', async (_, engine) => {
    const { database, history } = await setup(engine);
    const { db } = database;
    // History: 7 intents older than 400 days (deleted in batches of 3), 2 younger.
    const old = Array.from({ length: 7 }, (_, i) => endedRecord('team-a', {}, daysAgo(401 + i)));
    const young = [endedRecord('team-a', {}, daysAgo(399)), endedRecord('team-b', {}, daysAgo(1))];
    for (const record of [...old, ...young]) await history.record(record);
    // Usage: three days of hours past the cutoff for two projects, and hours inside it.
    const hours = (from: number, count: number) => Array.from({ length: count }, (_, i) => daysAgo(from, -i * 3_600_000));
    const oldHours = hours(403, 72);
    const keptHours = [daysAgo(399), daysAgo(10), daysAgo(0, -3_600_000 * 2)];
    await db.insertInto('usage_hourly').values([...oldHours, ...keptHours].flatMap((h) => [usageRow('p-1', h), usageRow('p-2', h)])).execute();
    // Collection runs: one of 31 days, one of 29.
    const run = (id: string, startedAt: Date) => ({
      id,
      window_from: startedAt.toISOString(),
      window_to: startedAt.toISOString(),
      status: 'succeeded',
      projects: 1,
      calls: 1,
      rows_written: 1,
      errors: '[]',
      started_at: startedAt.toISOString(),
      finished_at: startedAt.toISOString(),
    });
    await db.insertInto('usage_collection_runs').values([run('run-old', daysAgo(31)), run('run-new', daysAgo(29))]).execute();
    // Findings: resolved 91 days ago (deleted), resolved 89 days ago and open for long (kept).
    await db.insertInto('quota_findings').values([finding('f-old', daysAgo(91)), finding('f-recent', daysAgo(89)), finding('f-open', null)]).execute();

    const report = await pruneDurableStore(database, DEFAULT_RETENTION, { now: NOW, batchSize: 3 });
    expect(report).toEqual({ history: 7, usageHours: oldHours.length * 2, collectionRuns: 1, resolvedFindings: 1 });

    const ids = (await db.selectFrom('intent_history').select('id').orderBy('id').execute()).map((r) => r.id);
    expect(ids).toEqual(young.map((r) => r.id).sort());
    const kept = await db.selectFrom('usage_hourly').select(['project_id', 'hour']).orderBy('hour').orderBy('project_id').execute();
    expect(kept.map((r) => [r.project_id, new Date(r.hour).toISOString()])).toEqual(keptHours.flatMap((h) => [['p-1', h.toISOString()], ['p-2', h.toISOString()]]));
    expect((await db.selectFrom('usage_collection_runs').select('id').execute()).map((r) => r.id)).toEqual(['run-new']);
    expect((await db.selectFrom('quota_findings').select('key').orderBy('key').execute()).map((r) => r.key)).toEqual(['f-open', 'f-recent']);

    expect(await pruneDurableStore(database, DEFAULT_RETENTION, { now: NOW, batchSize: 3 })).toEqual({ history: 0, usageHours: 0, collectionRuns: 0, resolvedFindings: 0 });
  });

  it('keeps a table for ever when its retention is 0 days', async () => {
    const { database, history } = await setup();
    const ancient = endedRecord('team-a', {}, daysAgo(3000));
    await history.record(ancient);
    await database.db.insertInto('usage_hourly').values(usageRow('p-1', daysAgo(3000))).execute();
    const report = await pruneDurableStore(database, { historyDays: 0, usageDays: 0, collectionRunsDays: 0, resolvedFindingsDays: 0 }, { now: NOW });
    expect(report).toEqual({ history: 0, usageHours: 0, collectionRuns: 0, resolvedFindings: 0 });
    expect(await history.get('team-a', ancient.id)).toBeDefined();
    expect(await database.db.selectFrom('usage_hourly').select('hour').execute()).toHaveLength(1);
  });
});
