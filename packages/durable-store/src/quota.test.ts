import { describe, expect, it } from 'vitest';
import { migrateToLatest } from './migrate.js';
import { branchNameMatcher, QuotaStore, quotaFindingKey, type NewQuotaFinding } from './quota.js';
import { openTestDatabase } from './test/open-test-database.js';

async function setup(options: { engine?: 'pglite' } = {}) {
  const { database } = await openTestDatabase('quota', options);
  await migrateToLatest(database);
  return new QuotaStore(database, () => new Date('2026-11-20T10:00:00.000Z'));
}

const expired = (branchId: string): NewQuotaFinding => ({
  key: quotaFindingKey('expired_branch', 'p-1', branchId),
  kind: 'expired_branch',
  projectId: 'p-1',
  branchId,
  detail: { expiresAt: '2026-11-19T00:00:00.000Z' },
});

describe('QuotaStore', () => {
  it('a team without a policy is dry-run; a policy put keeps the defaults of what it leaves out', async () => {
    const quota = await setup();
    expect(await quota.getPolicy('team-a')).toEqual({ teamId: 'team-a', mode: 'dry_run', idleHours: 168, scratchBranches: [], branchLimitRatio: 0.8 });
    expect(await quota.putPolicy({ teamId: 'team-a', mode: 'act', idleHours: 24 })).toEqual({
      teamId: 'team-a',
      mode: 'act',
      idleHours: 24,
      scratchBranches: [],
      branchLimitRatio: 0.8,
      updatedAt: '2026-11-20T10:00:00.000Z',
    });
    expect((await quota.getPolicy('team-a')).mode).toBe('act');
    expect((await quota.getPolicy('team-b')).mode).toBe('dry_run');
    await expect(quota.putPolicy({ teamId: 'team-a', idleHours: 0 })).rejects.toThrow();
    expect((await quota.getPolicy('team-a')).idleHours).toBe(24);
  });

  it('keeps a team’s scratch-branch patterns (PostgreSQL and PGlite); a bad pattern changes nothing', async () => {
    for (const engine of [undefined, 'pglite'] as const) {
      const quota = await setup(engine ? { engine } : {});
      const patterns = ['dev/*', 'tmp-*-test', 'exact'];
      expect((await quota.putPolicy({ teamId: 'team-a', scratchBranches: patterns })).scratchBranches).toEqual(patterns);
      expect(await quota.getPolicy('team-a')).toMatchObject({ mode: 'dry_run', scratchBranches: patterns });
      await expect(quota.putPolicy({ teamId: 'team-a', scratchBranches: [''] })).rejects.toThrow();
      await expect(quota.putPolicy({ teamId: 'team-a', scratchBranches: Array.from({ length: 21 }, (_, i) => `p${i}`) })).rejects.toThrow();
      expect((await quota.getPolicy('team-a')).scratchBranches).toEqual(patterns);
      // Left out: back to the default (none), as for every other field.
      expect((await quota.putPolicy({ teamId: 'team-a', mode: 'act' })).scratchBranches).toEqual([]);
    }
  });

  it('branch-name patterns: `*` matches any run of characters, everything else itself, the whole name', () => {
    const matches = branchNameMatcher(['dev/*', 'tmp-*-test', 'a.b', '(x)+']);
    for (const name of ['dev/alice', 'dev/', 'dev/a/b', 'tmp--test', 'tmp-load-test', 'a.b', '(x)+']) expect(matches(name), name).toBe(true);
    for (const name of ['dev', 'xdev/alice', 'tmp-load-tests', 'axb', 'x', 'xx', 'staging', 'dev\nalice']) expect(matches(name), name).toBe(false);
    expect(branchNameMatcher(['*'])('any/thing\nat all')).toBe(true);
    expect(branchNameMatcher([])('dev/alice')).toBe(false);
  });

  it('a sweep upserts findings by key and resolves the ones it no longer finds; an intent is recorded once per finding', async () => {
    const quota = await setup();
    const first = await quota.record('team-a', [expired('br-1'), expired('br-2')], new Date('2026-11-20T10:00:00.000Z'));
    expect(first.map((f) => f.key)).toEqual(['expired_branch:p-1:br-1', 'expired_branch:p-1:br-2']);
    await quota.record('team-b', [expired('br-9')], new Date('2026-11-20T10:00:00.000Z'));
    const second = await quota.record('team-a', [expired('br-2')], new Date('2026-11-20T11:00:00.000Z'));
    expect(second).toEqual([
      expect.objectContaining({ key: 'expired_branch:p-1:br-2', firstSeenAt: '2026-11-20T10:00:00.000Z', lastSeenAt: '2026-11-20T11:00:00.000Z' }),
    ]);
    const all = await quota.list('team-a', { open: false });
    expect(all.items.find((f) => f.branchId === 'br-1')?.resolvedAt).toBe('2026-11-20T11:00:00.000Z');
    expect((await quota.list('team-b')).items).toHaveLength(1); // another team's sweep resolves nothing of team-b

    expect(await quota.setIntent('team-a', 'expired_branch:p-1:br-2', 'int_first')).toBe('int_first');
    expect(await quota.setIntent('team-a', 'expired_branch:p-1:br-2', 'int_second')).toBe('int_first');
    const page1 = await quota.list('team-a', { open: false, limit: 1 });
    expect(page1.nextCursor).toBe('expired_branch:p-1:br-1');
    const page2 = await quota.list('team-a', { open: false, limit: 1, cursor: page1.nextCursor });
    expect(page2).toEqual({ items: [expect.objectContaining({ key: 'expired_branch:p-1:br-2', intentId: 'int_first' })] });
  });

  it('works the same on PGlite (upsert, resolve by key, cursor order)', async () => {
    const quota = await setup({ engine: 'pglite' });
    await quota.record('team-a', [expired('br-b'), expired('br-a')], new Date('2026-11-20T10:00:00.000Z'));
    await quota.record('team-a', [expired('br-b')], new Date('2026-11-20T10:00:00.000Z'));
    const all = await quota.list('team-a', { open: false });
    expect(all.items.map((f) => [f.branchId, f.resolvedAt ?? null])).toEqual([
      ['br-a', '2026-11-20T10:00:00.000Z'],
      ['br-b', null],
    ]);
    expect(await quota.setIntent('team-a', expired('br-b').key, 'int_x')).toBe('int_x');
    expect((await quota.putPolicy({ teamId: 'team-a', mode: 'act' })).mode).toBe('act');
  });
});
