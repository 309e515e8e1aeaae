import { DEFAULT_PRICES, IntentHistory, migrateToLatest, openDatabase, UsageStore, type UsageHourRow } from '@neonops/durable-store';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../config.js';
import { buildTestApp } from '../../test/helper.js';

const HOUR = 3_600_000;
const now = new Date('2026-11-11T00:00:00.000Z');

/** Ten days of November for alpha (two projects, one with two branches) and beta, plus a day of October. */
function rows(): UsageHourRow[] {
  const out: UsageHourRow[] = [];
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  for (let h = 0; h < 10 * 24; h++) {
    const hour = new Date(start + h * HOUR);
    out.push({ projectId: 'p-a1', branchId: 'br-main', hour, teamId: 'alpha', metrics: { compute_unit_seconds: 900, root_branch_bytes_month: 1e6 } });
    out.push({ projectId: 'p-a1', branchId: 'br-dev', hour, teamId: 'alpha', metrics: { compute_unit_seconds: 450, child_branch_bytes_month: 2e5 } });
    out.push({ projectId: 'p-a2', branchId: '', hour, teamId: 'alpha', metrics: { compute_unit_seconds: 3600, public_network_transfer_bytes: 1e7 } });
    out.push({ projectId: 'p-b1', branchId: 'br-main', hour, teamId: 'beta', metrics: { compute_unit_seconds: 7200 } });
  }
  for (let h = 0; h < 24; h++) out.push({ projectId: 'p-a1', branchId: 'br-main', hour: new Date(Date.parse('2026-10-31T00:00:00.000Z') + h * HOUR), teamId: 'alpha', metrics: { compute_unit_seconds: 3600 } });
  return out;
}

async function setup() {
  const target = useTestDatabase('api-usage');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  await new UsageStore(database).upsert(rows());
  const t = await buildTestApp({ database: { database }, now: () => now });
  return { t, database };
}

describe('GET /v1/usage', () => {
  it('gives the team’s usage per day and project, paged by cursor; another team’s projects never appear', async () => {
    const { t } = await setup();
    const first = await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-11T00:00:00Z&granularity=daily&limit=3' });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body).toMatchObject({ teamId: 'alpha', from: '2026-11-01T00:00:00.000Z', to: '2026-11-11T00:00:00.000Z', granularity: 'daily', groupBy: 'project' });
    expect(body.items.map((i: { start: string; projectId: string }) => [i.start, i.projectId])).toEqual([
      ['2026-11-01T00:00:00.000Z', 'p-a1'],
      ['2026-11-01T00:00:00.000Z', 'p-a2'],
      ['2026-11-02T00:00:00.000Z', 'p-a1'],
    ]);
    expect(body.items[0].metrics).toMatchObject({ compute_unit_seconds: 24 * 1350, root_branch_bytes_month: 24e6, child_branch_bytes_month: 24 * 2e5 });
    expect(body.items[0].cuHours).toBe(9);
    const all = [...body.items];
    for (let cursor = body.nextCursor; cursor; ) {
      const page = (await t.as('alpha', { method: 'GET', url: `/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-11T00:00:00Z&granularity=daily&limit=3&cursor=${cursor}` })).json();
      all.push(...page.items);
      cursor = page.nextCursor;
    }
    expect(all).toHaveLength(20);
    expect(new Set(all.map((i) => i.projectId))).toEqual(new Set(['p-a1', 'p-a2']));
    // Per branch, hourly.
    const branches = (await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-01T01:00:00Z&granularity=hourly&groupBy=branch' })).json();
    expect(branches.items.map((i: { projectId: string; branchId: string; metrics: { compute_unit_seconds: number } }) => [i.projectId, i.branchId, i.metrics.compute_unit_seconds])).toEqual([
      ['p-a1', 'br-dev', 450],
      ['p-a1', 'br-main', 900],
      ['p-a2', '', 3600],
    ]);
    // Monthly over a range across October and November.
    const monthly = (await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-10-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=monthly' })).json();
    expect(monthly.items.map((i: { start: string; projectId: string; cuHours: number }) => [i.start, i.projectId, i.cuHours])).toEqual([
      ['2026-10-01T00:00:00.000Z', 'p-a1', 24],
      ['2026-11-01T00:00:00.000Z', 'p-a1', 90],
      ['2026-11-01T00:00:00.000Z', 'p-a2', 240],
    ]);
  });

  it('names a preview branch by the source and pull request it was made for (the history of its preview.ensure)', async () => {
    const { t, database } = await setup();
    const history = new IntentHistory(database);
    const at = '2026-11-01T00:30:00.000Z';
    const pullRequest = { sourceId: 'src_web', repositoryId: 42, number: 7, updatedAt: at, headSha: 'abc', repository: 'acme/web' };
    const ensure = (id: string, teamId: string, branchId: string, status: 'succeeded' | 'failed') =>
      history.record({
        id,
        teamId,
        kind: 'preview.ensure',
        params: { projectId: 'p-a1', name: 'preview/pr-7-x', pullRequest },
        status,
        steps: [],
        operationIds: [],
        hasSecrets: false,
        cancelRequested: false,
        ...(status === 'succeeded' ? { result: { action: 'created', branch: { id: branchId, name: 'preview/pr-7-x' }, endpoints: [] } } : {}),
        createdAt: at,
        updatedAt: at,
        finishedAt: at,
      });
    await ensure('int_01m8n0000000000000000000a1', 'alpha', 'br-dev', 'succeeded');
    // Another team's history never names alpha's branch, nor does a failed intent.
    await ensure('int_01m8n0000000000000000000b1', 'beta', 'br-main', 'succeeded');
    await ensure('int_01m8n0000000000000000000a2', 'alpha', 'br-main', 'failed');
    const page = (await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-01T01:00:00Z&granularity=hourly&groupBy=branch' })).json();
    expect(page.items.map((i: { branchId: string; preview?: unknown }) => [i.branchId, i.preview])).toEqual([
      ['br-dev', { sourceId: 'src_web', pullRequest: 7, repository: 'acme/web' }],
      ['br-main', undefined],
      ['', undefined],
    ]);
    const costs = (await t.as('alpha', { method: 'GET', url: '/v1/costs?from=2026-11-01T00:00:00Z&to=2026-11-01T01:00:00Z&granularity=hourly&groupBy=branch' })).json();
    expect(costs.items[0]).toMatchObject({ branchId: 'br-dev', preview: { sourceId: 'src_web' } });
  });

  it('admins read any team with teamId; other tokens get 403, an unknown team 404', async () => {
    const { t } = await setup();
    const beta = (await t.as('root', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&teamId=beta' })).json();
    expect(beta.items).toEqual([expect.objectContaining({ projectId: 'p-b1', cuHours: 48 })]);
    const forbidden = await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&teamId=beta' });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBe('team_forbidden');
    expect((await t.as('root', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&teamId=nobody' })).json()).toMatchObject({ status: 404, code: 'team_not_found' });
  });

  it('bad ranges, granularities and cursors are 400 problems', async () => {
    const { t } = await setup();
    const cases: Array<[string, string]> = [
      ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'invalid_range'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-01T00:00:00Z', 'invalid_range'],
      ['from=2026-11-01T00:30:00Z&to=2026-11-02T00:00:00Z', 'invalid_range'],
      ['from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z&granularity=hourly', 'invalid_range'],
      ['from=yesterday&to=2026-11-02T00:00:00Z', 'validation_failed'],
      ['to=2026-11-02T00:00:00Z', 'validation_failed'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&granularity=weekly', 'validation_failed'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&groupBy=team', 'validation_failed'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&limit=0', 'validation_failed'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&cursor=not-a-cursor', 'invalid_cursor'],
      ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&extra=1', 'validation_failed'],
    ];
    for (const [query, code] of cases) {
      const res = await t.as('alpha', { method: 'GET', url: `/v1/usage?${query}` });
      expect({ query, status: res.statusCode, code: res.json().code }).toEqual({ query, status: 400, code });
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('is 503 durable_store_not_configured without a database, and in the OpenAPI document', async () => {
    const t = await buildTestApp({ now: () => now });
    const res = await t.as('alpha', { method: 'GET', url: '/v1/usage?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z' });
    expect(res.statusCode).toBe(503);
    expect(res.json().code).toBe('durable_store_not_configured');
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/usage', '/v1/costs']));
    expect(doc.paths['/v1/costs'].get.responses['400']).toBeDefined();
  });
});

describe('GET /v1/costs', () => {
  it('prices each bucket at the price table and forecasts the current month linearly', async () => {
    const { t } = await setup();
    const res = await t.as('alpha', { method: 'GET', url: '/v1/costs?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&granularity=monthly' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.currency).toBe('USD');
    const a1 = body.items.find((i: { projectId: string }) => i.projectId === 'p-a1');
    // 10 days × 24 h: 1350 CU-s an hour = 90 CU-hours; 240 × 1 MB root + 240 × 0.2 MB child GB-months.
    expect(a1.cost.lines.compute).toBeCloseTo(90 * 0.106, 10);
    expect(a1.cost.lines.rootStorage).toBeCloseTo(0.24 * 0.35, 10);
    expect(a1.cost.lines.childStorage).toBeCloseTo(0.048 * 0.35, 10);
    const a2 = body.items.find((i: { projectId: string }) => i.projectId === 'p-a2');
    expect(a2.cost.total).toBeCloseTo(240 * 0.106 + 2.4 * 0.1, 10);
    // Ten days elapsed of thirty: the month-to-date cost × 3.
    const monthToDate = a1.cost.total + a2.cost.total;
    expect(body.forecast).toMatchObject({ month: '2026-11', method: 'linear-daily-average', elapsedDays: 10, daysInMonth: 30, cuHoursToDate: 330 });
    expect(body.forecast.monthToDate).toBeCloseTo(monthToDate, 10);
    expect(body.forecast.total).toBeCloseTo(monthToDate * 3, 10);
    // A range in the past has no forecast.
    const october = (await t.as('alpha', { method: 'GET', url: '/v1/costs?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&granularity=monthly' })).json();
    expect(october.forecast).toBeUndefined();
    expect(october.items[0].cost.lines.compute).toBeCloseTo(24 * DEFAULT_PRICES.computePerCuHour, 10);
  });

  it('uses the configured price table', async () => {
    const target = useTestDatabase('api-costs');
    const database = await openDatabase({ url: target.url, schema: target.schema });
    onTestFinished(() => database.close());
    await migrateToLatest(database);
    await new UsageStore(database).upsert(rows());
    const t = await buildTestApp({ database: { database }, now: () => now, prices: { ...DEFAULT_PRICES, computePerCuHour: 1 } });
    const body = (await t.as('beta', { method: 'GET', url: '/v1/costs?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z' })).json();
    expect(body.items[0].cost.lines.compute).toBe(48);
  });
});

describe('USAGE_PRICES', () => {
  it('defaults to Neon’s Launch prices, takes a partial table, refuses a bad one naming the variable', () => {
    const base = { SECRETS_KEY: randomBytes(32).toString('base64') };
    expect(loadConfig(base).prices).toEqual(DEFAULT_PRICES);
    expect(loadConfig({ ...base, USAGE_PRICES: '{"extraBranchPerMonth":2}' }).prices).toEqual({ ...DEFAULT_PRICES, extraBranchPerMonth: 2 });
    expect(() => loadConfig({ ...base, USAGE_PRICES: '{"computePerCuHour":"cheap"}' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, USAGE_PRICES: '[' })).toThrow(/USAGE_PRICES/);
  });
});
