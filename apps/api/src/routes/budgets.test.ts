import { BudgetStore, migrateToLatest, openDatabase, UsageStore } from '@neonops/durable-store';
import { ThresholdMarks } from '@neonops/intents';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp } from '../../test/helper.js';

const now = new Date('2026-11-20T10:00:00.000Z');

async function setup() {
  const target = useTestDatabase('api-budgets');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const t = await buildTestApp({ database: { database }, now: () => now });
  return { t, store: new BudgetStore(database), usage: new UsageStore(database), redis: t.redis.connect() };
}

describe('budgets routes', () => {
  it('PUT sets the team’s budget (defaults 50/80/100, no enforcement) and GET shows it with the thresholds announced this month', async () => {
    const { t, redis, usage } = await setup();
    expect((await t.as('alpha', { method: 'GET', url: '/v1/budgets' })).json()).toMatchObject({ status: 404, code: 'budget_not_found' });
    const put = await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload: { unit: 'usd', amount: 250 } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({
      budget: { teamId: 'alpha', unit: 'usd', amount: 250, thresholds: [50, 80, 100], enforce: false, createdAt: now.toISOString(), updatedAt: now.toISOString() },
      period: { id: '2026-11', start: '2026-11-01T00:00:00.000Z', end: '2026-12-01T00:00:00.000Z', spent: 0, percent: 0, announced: [] },
    });
    // The mark expires by Redis's clock at the period's end plus a margin: the period is fixed in
    // the past, so the margin must outlive the day the test runs (the default 7 days would end on 2026-12-08).
    await new ThresholdMarks(redis, { prefix: t.redis.prefix, marginSeconds: 100 * 365 * 86_400 }).emit(
      { teamId: 'alpha', period: '2026-11', threshold: 50, unit: 'usd', amount: 250, spent: 130, at: now.toISOString() },
      new Date('2026-12-01T00:00:00.000Z'),
    );
    const replaced = await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload: { unit: 'cu_hours', amount: 40, thresholds: [90, 25], enforce: true } });
    expect(replaced.json().budget).toMatchObject({ unit: 'cu_hours', amount: 40, thresholds: [25, 90], enforce: true });
    // 30 CU-hours used this month by alpha's projects (and some by another team, not counted).
    await usage.upsert([
      { projectId: 'p-alpha', branchId: '', hour: new Date('2026-11-02T00:00:00.000Z'), teamId: 'alpha', metrics: { compute_unit_seconds: 20 * 3600 } },
      { projectId: 'p-alpha', branchId: '', hour: new Date('2026-11-19T05:00:00.000Z'), teamId: 'alpha', metrics: { compute_unit_seconds: 10 * 3600 } },
      { projectId: 'p-beta', branchId: '', hour: new Date('2026-11-19T05:00:00.000Z'), teamId: 'beta', metrics: { compute_unit_seconds: 99 * 3600 } },
      { projectId: 'p-alpha', branchId: '', hour: new Date('2026-10-31T23:00:00.000Z'), teamId: 'alpha', metrics: { compute_unit_seconds: 50 * 3600 } },
    ]);
    const got = await t.as('alpha', { method: 'GET', url: '/v1/budgets' });
    expect(got.json().period).toMatchObject({ spent: 30, percent: 75, announced: [{ threshold: 50, at: now.toISOString() }] });
    // Another team does not see it.
    expect((await t.as('beta', { method: 'GET', url: '/v1/budgets' })).statusCode).toBe(404);
  });

  it('admins read and set any team’s budget with teamId; other tokens cannot', async () => {
    const { t, store } = await setup();
    const put = await t.as('root', { method: 'PUT', url: '/v1/budgets', payload: { teamId: 'beta', unit: 'usd', amount: 10 } });
    expect(put.statusCode).toBe(200);
    expect((await t.as('root', { method: 'GET', url: '/v1/budgets?teamId=beta' })).json().budget.teamId).toBe('beta');
    expect((await t.as('beta', { method: 'GET', url: '/v1/budgets' })).json().budget.amount).toBe(10);
    expect((await t.as('beta', { method: 'GET', url: '/v1/budgets?teamId=beta' })).statusCode).toBe(200);

    const forbidden = await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload: { teamId: 'beta', unit: 'usd', amount: 99 } });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.headers['content-type']).toContain('application/problem+json');
    expect(forbidden.json().code).toBe('team_forbidden');
    expect((await t.as('alpha', { method: 'GET', url: '/v1/budgets?teamId=beta' })).json().code).toBe('team_forbidden');
    expect((await t.as('root', { method: 'PUT', url: '/v1/budgets', payload: { teamId: 'nobody', unit: 'usd', amount: 1 } })).json()).toMatchObject({ status: 404, code: 'team_not_found' });
    expect((await store.list()).map((b) => [b.teamId, b.amount])).toEqual([['beta', 10]]);
  });

  it('bad input is a 400 problem and changes nothing', async () => {
    const { t, store } = await setup();
    await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload: { unit: 'usd', amount: 100 } });
    const before = await store.list();
    for (const payload of [
      {},
      { unit: 'eur', amount: 10 },
      { unit: 'usd', amount: 0 },
      { unit: 'usd', amount: -5 },
      { unit: 'usd', amount: '10' },
      { unit: 'usd', amount: 10, thresholds: [] },
      { unit: 'usd', amount: 10, thresholds: [50, 50] },
      { unit: 'usd', amount: 10, thresholds: [0] },
      { unit: 'usd', amount: 10, thresholds: [50.5] },
      { unit: 'usd', amount: 10, enforce: 'yes' },
      { unit: 'usd', amount: 10, extra: true },
      { unit: 'usd', amount: 10, teamId: '' },
    ]) {
      const res = await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await t.as('alpha', { method: 'GET', url: '/v1/budgets?unknown=1' })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'PUT', url: '/v1/budgets', headers: { 'content-type': 'application/json' }, payload: '{"unit":' })).statusCode).toBe(400);
    expect(await store.list()).toEqual(before);
  });

  it('without a durable store the routes answer 503 durable_store_not_configured; the OpenAPI document lists them', async () => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'PUT', url: '/v1/budgets', payload: { unit: 'usd', amount: 10 } });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('durable_store_not_configured');
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths['/v1/budgets'])).toEqual(['get', 'put']);
    expect(doc.paths['/v1/budgets'].put.requestBody.content['application/json'].schema.required).toEqual(['unit', 'amount']);
    expect(Object.keys(doc.paths['/v1/budgets'].put.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '404', '503']));
  });
});
