import { migrateToLatest, openDatabase, QuotaStore, quotaFindingKey } from '@neonops/durable-store';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';

const now = new Date('2026-11-20T10:00:00.000Z');

async function setup() {
  const target = useTestDatabase('api-quota');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const t = await buildTestApp({ database: { database }, now: () => now });
  return { t, quota: new QuotaStore(database) };
}

describe('quota routes', () => {
  it('a team is dry-run until it sets a policy; PUT sets it (admins for any team)', async () => {
    const { t } = await setup();
    expect((await t.as('alpha', { method: 'GET', url: '/v1/quota/policy' })).json()).toEqual({ teamId: 'alpha', mode: 'dry_run', idleHours: 168, scratchBranches: [], branchLimitRatio: 0.8 });
    const put = await t.as('alpha', { method: 'PUT', url: '/v1/quota/policy', payload: { mode: 'act', idleHours: 48, scratchBranches: ['dev/*'] } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ teamId: 'alpha', mode: 'act', idleHours: 48, scratchBranches: ['dev/*'], branchLimitRatio: 0.8, updatedAt: now.toISOString() });
    expect((await t.as('alpha', { method: 'GET', url: '/v1/quota/policy' })).json().scratchBranches).toEqual(['dev/*']);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/quota/policy' })).json().mode).toBe('act');
    expect((await t.as('beta', { method: 'GET', url: '/v1/quota/policy' })).json().mode).toBe('dry_run');
    expect((await t.as('root', { method: 'PUT', url: '/v1/quota/policy', payload: { teamId: 'beta', branchLimitRatio: 0.5 } })).json()).toMatchObject({ teamId: 'beta', branchLimitRatio: 0.5, mode: 'dry_run' });
    expect((await t.as('root', { method: 'GET', url: '/v1/quota/policy?teamId=beta' })).json().branchLimitRatio).toBe(0.5);
    expect((await t.as('alpha', { method: 'PUT', url: '/v1/quota/policy', payload: { teamId: 'beta', mode: 'act' } })).json().code).toBe('team_forbidden');
    expect((await t.as('root', { method: 'GET', url: '/v1/quota/policy?teamId=beta' })).json().mode).toBe('dry_run');
  });

  it('lists the team’s findings by key with cursor pages, open or all; other teams never see them', async () => {
    const { t, quota } = await setup();
    const finding = (branchId: string) => ({
      key: quotaFindingKey('expired_branch', 'p-alpha', branchId),
      kind: 'expired_branch' as const,
      projectId: 'p-alpha',
      branchId,
      detail: { name: branchId },
    });
    await quota.record('alpha', [finding('br-1'), finding('br-2'), finding('br-3')], new Date('2026-11-20T09:00:00.000Z'));
    await quota.record('alpha', [finding('br-2'), finding('br-3')], new Date('2026-11-20T09:30:00.000Z'));
    await quota.setIntent('alpha', finding('br-3').key, 'int_0000000000abcdefghjkmnpqrs');
    const page1 = (await t.as('alpha', { method: 'GET', url: '/v1/quota/findings?limit=1' })).json();
    expect(page1.items.map((f: { branchId: string }) => f.branchId)).toEqual(['br-2']);
    const page2 = (await t.as('alpha', { method: 'GET', url: `/v1/quota/findings?limit=1&cursor=${encodeURIComponent(page1.nextCursor)}` })).json();
    expect(page2).toEqual({ items: [expect.objectContaining({ branchId: 'br-3', intentId: 'int_0000000000abcdefghjkmnpqrs', kind: 'expired_branch' })] });
    const all = (await t.as('alpha', { method: 'GET', url: '/v1/quota/findings?state=all' })).json();
    expect(all.items.map((f: { branchId: string; resolvedAt?: string }) => [f.branchId, f.resolvedAt ?? null])).toEqual([
      ['br-1', '2026-11-20T09:30:00.000Z'],
      ['br-2', null],
      ['br-3', null],
    ]);
    expect((await t.as('beta', { method: 'GET', url: '/v1/quota/findings' })).json()).toEqual({ items: [] });
    expect((await t.as('root', { method: 'GET', url: '/v1/quota/findings?teamId=alpha&kind=idle_branch' })).json()).toEqual({ items: [] });
  });

  it('bad input is a 400 problem and changes nothing', async () => {
    const { t, quota } = await setup();
    await t.as('alpha', { method: 'PUT', url: '/v1/quota/policy', payload: { idleHours: 12 } });
    const before = await quota.getPolicy('alpha');
    for (const payload of [{ mode: 'delete' }, { idleHours: 0 }, { idleHours: 1.5 }, { branchLimitRatio: 0 }, { branchLimitRatio: 2 }, { extra: 1 }, { teamId: '' }, { mode: null }, { scratchBranches: 'dev/*' }, { scratchBranches: [''] }, { scratchBranches: ['a\u0000b'] }, { scratchBranches: [7] }, { scratchBranches: Array.from({ length: 21 }, (_, i) => `p${i}`) }, { scratchBranches: ['x'.repeat(257)] }]) {
      const res = await t.as('alpha', { method: 'PUT', url: '/v1/quota/policy', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    for (const query of ['state=closed', 'kind=nope', 'limit=0', 'limit=101', 'other=1']) {
      expect((await t.as('alpha', { method: 'GET', url: `/v1/quota/findings?${query}` })).statusCode, query).toBe(400);
    }
    expect(await quota.getPolicy('alpha')).toEqual(before);
  });

  it('without a durable store: 503 durable_store_not_configured', async () => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'GET', url: '/v1/quota/findings' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('durable_store_not_configured');
  });
});
