import { DEFAULT_PRICES, monthToDateSpend, USAGE_METRICS, type UsageMetric } from '@neonops/durable-store';
import { describe, expect, it } from 'vitest';
import { collectionWindow, collectUsage } from './collect.js';
import { createProject, DAY, HOUR, staticProjects, usageFixture, type UsageFixture } from './test-fixture.js';

const MONTH_MS = 30 * DAY;
const START = '2026-10-01T00:00:00.000Z';

interface Compute {
  projectId: string;
  branchId: string;
  endpointId: string;
  /** Seconds before it suspends by itself (a multiple of 60, so every hour's share is whole seconds × CU). */
  suspendSeconds: number;
}

/**
 * Three projects (two of team-a, one of team-b), one with a child branch and its own
 * compute; computes of 0.25 and 1 CU with different suspend timeouts.
 */
async function fleet(f: UsageFixture) {
  const a1 = await createProject(f.neon, 'a1');
  const a2 = await createProject(f.neon, 'a2');
  const b1 = await createProject(f.neon, 'b1');
  const child = await f.neon.createBranch(a1.projectId, { branch: { name: 'dev' }, endpoints: [{ type: 'read_write' }] });
  const computes: Compute[] = [
    { ...a1, suspendSeconds: 300 },
    { projectId: a1.projectId, branchId: child.branch.id, endpointId: child.endpoints[0]!.id, suspendSeconds: 900 },
    { ...a2, suspendSeconds: 2400 },
    { ...b1, suspendSeconds: 3600 },
  ];
  for (const c of computes) await f.neon.updateEndpoint(c.projectId, c.endpointId, { endpoint: { suspend_timeout_seconds: c.suspendSeconds } });
  await f.neon.updateEndpoint(a2.projectId, a2.endpointId, { endpoint: { autoscaling_limit_min_cu: 1, autoscaling_limit_max_cu: 1 } });
  const served = [
    { projectId: a1.projectId, teamId: 'team-a' },
    { projectId: a2.projectId, teamId: 'team-a' },
    { projectId: b1.projectId, teamId: 'team-b' },
  ];
  return { computes, served, projects: [a1.projectId, a2.projectId, b1.projectId] };
}

/** Lives through one hour: some computes start at whole minutes (each at most every 4 hours, longer than any timeout) and suspend by themselves. */
async function liveHour(f: UsageFixture, computes: Compute[], hourStart: number, h: number) {
  const starts = computes
    .map((c, i) => ({ c, minute: (7 * i + 13 * h) % 60, due: (3 * h + i) % 4 === 0 }))
    .filter((s) => s.due)
    .sort((x, y) => x.minute - y.minute);
  for (const s of starts) {
    f.clock.set(Math.max(f.clock.now(), hourStart + s.minute * 60_000));
    await f.neon.startEndpoint(s.c.projectId, s.c.endpointId);
  }
  f.clock.set(hourStart + HOUR);
}

/** The simulator's ground truth for a project over [from, to): per branch per hour, as Neon's hourly history adds up. */
function groundTruth(f: UsageFixture, projectId: string, branchIds: string[], from: number, to: number): Record<UsageMetric, number> {
  const meter = f.sim.control.meter;
  const now = f.clock.now();
  const out = Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as Record<UsageMetric, number>;
  const usage = meter.usage(projectId, from, to, now);
  out.compute_unit_seconds = usage.computeUnitSeconds;
  out.public_network_transfer_bytes = usage.transferBytes;
  for (let s = from; s < to; s += HOUR) {
    for (const branchId of branchIds) {
      const storage = meter.branchStorageAt(projectId, branchId, s + HOUR, now);
      if (storage.alive) out[storage.root ? 'root_branch_bytes_month' : 'child_branch_bytes_month'] += Math.round((storage.bytes * HOUR) / MONTH_MS);
      out.instant_restore_bytes_month += Math.round((meter.usage(projectId, s, s + HOUR, now, branchId).writtenBytes * HOUR) / MONTH_MS);
    }
  }
  return out;
}

describe('usage collection', () => {
  it('lives through 31 days of computes starting and suspending: stored usage equals the simulator’s per project and day; a second collection changes nothing; the month’s cost is the price table’s', { timeout: 300_000 }, async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: { consumptionPerMinute: 30 } } });
    const { computes, served, projects } = await fleet(f);
    const deps = { neon: f.collectorNeon, store: f.store, projects: staticProjects(served), orgId: 'org-test' };
    const start = Date.parse(START);
    const days = 31;
    const reports = [];
    for (let h = 0; h < days * 24; h++) {
      await liveHour(f, computes, start + h * HOUR, h);
      // A collection every 6 hours over the last 8 (overlapping windows: hours already stored are collected again).
      if ((h + 1) % 6 === 0) reports.push(await collectUsage(deps, `run-${h}`, collectionWindow(new Date(f.clock.now()), 8), () => new Date(f.clock.now())));
    }
    expect(reports.every((r) => r.status === 'succeeded' && r.perBranch)).toBe(true);
    expect(reports.some((r) => r.rowsUnchanged > 0)).toBe(true);

    // Some computes were active, and auto-suspend ended every interval after its timeout.
    const state = f.sim.control.state();
    const intervals = state.endpoints.flatMap((e) => e.activeIntervals);
    expect(intervals.length).toBeGreaterThan(500);
    for (const c of computes) {
      const ep = state.endpoints.find((e) => e.id === c.endpointId)!;
      for (const i of ep.activeIntervals.filter((x) => x.end !== undefined)) expect(i.end! - i.start).toBe(c.suspendSeconds * 1000);
    }

    // Stored per project and day = the simulator's ground truth, exactly.
    const end = start + days * DAY;
    const branchesOf = (projectId: string) => state.branches.filter((b) => b.projectId === projectId).map((b) => b.id);
    const daily = [];
    for (let after: { bucket: string; key: string } | undefined, page; (page = await f.store.aggregate({ from: new Date(start), to: new Date(end), granularity: 'daily', groupBy: 'project', limit: 50, ...(after ? { after } : {}) })).length > 0; ) {
      daily.push(...page);
      after = { bucket: page.at(-1)!.bucket, key: page.at(-1)!.key };
    }
    expect(daily).toHaveLength(days * projects.length);
    for (const row of daily) {
      const from = Date.parse(row.bucket);
      expect({ project: row.projectId, day: row.bucket, ...row.metrics }).toEqual({ project: row.projectId, day: row.bucket, ...groundTruth(f, row.projectId!, branchesOf(row.projectId!), from, from + DAY) });
    }
    expect(daily.filter((d) => d.projectId === projects[0]).reduce((s, d) => s + d.metrics.compute_unit_seconds, 0)).toBeGreaterThan(0);

    // A second collection over the same window changes nothing (not even collected_at).
    const snapshot = await f.database.db.selectFrom('usage_hourly').selectAll().orderBy(['project_id', 'branch_id', 'hour']).execute();
    const again = await collectUsage(deps, 'run-again', collectionWindow(new Date(f.clock.now()), 8), () => new Date(f.clock.now()));
    expect(again).toMatchObject({ status: 'succeeded', rowsWritten: 0, rowsRemoved: 0 });
    expect(again.rowsUnchanged).toBeGreaterThan(0);
    expect(await f.database.db.selectFrom('usage_hourly').selectAll().orderBy(['project_id', 'branch_id', 'hour']).execute()).toEqual(snapshot);

    // The month's cost for team-a, by hand from the ground truth and the published prices.
    const truthA = [served[0]!, served[1]!].map((p) => groundTruth(f, p.projectId, branchesOf(p.projectId), start, end));
    const sum = (m: UsageMetric) => truthA.reduce((s, t) => s + t[m], 0);
    const byHand =
      (sum('compute_unit_seconds') / 3600) * 0.106 +
      ((sum('root_branch_bytes_month') + sum('child_branch_bytes_month')) / 1e9) * 0.35 +
      (sum('instant_restore_bytes_month') / 1e9) * 0.2 +
      (sum('public_network_transfer_bytes') / 1e9) * 0.1;
    const spend = await monthToDateSpend(f.store, DEFAULT_PRICES, { teamId: 'team-a', month: '2026-10', at: new Date(end) });
    expect(spend.cuHours).toBe(sum('compute_unit_seconds') / 3600);
    expect(spend.cost.total).toBeCloseTo(byHand, 9);
    expect(byHand).toBeGreaterThan(0);
    // And team-b's usage is not team-a's.
    const b = await monthToDateSpend(f.store, DEFAULT_PRICES, { teamId: 'team-b', month: '2026-10', at: new Date(end) });
    expect(b.cuHours).toBe(groundTruth(f, served[2]!.projectId, branchesOf(served[2]!.projectId), start, end).compute_unit_seconds / 3600);
  });

  it('a 429 stops the run after one refused call, is recorded in the run log, and the next tick collects the window', async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: { consumptionPerMinute: 1 } } });
    const { computes, served } = await fleet(f);
    for (let h = 0; h < 3; h++) await liveHour(f, computes, Date.parse(START) + h * HOUR, h);
    const deps = { neon: f.collectorNeon, store: f.store, projects: staticProjects(served), orgId: 'org-test' };
    const window = collectionWindow(new Date(f.clock.now()), 3);
    const refused = await collectUsage(deps, 'run-429', window, () => new Date(f.clock.now()));
    expect(refused).toMatchObject({ status: 'failed', calls: 2, rowsWritten: 0 });
    expect(refused.errors).toEqual([expect.objectContaining({ endpoint: 'GET /consumption_history/v2/branches', status: 429, code: 'rate_limited', projectIds: served.map((p) => p.projectId).sort() })]);
    expect(await f.database.db.selectFrom('usage_hourly').selectAll().execute()).toEqual([]);
    const [run] = await f.store.listRuns(1);
    expect(run).toMatchObject({ id: 'run-429', status: 'failed', calls: 2, errors: [expect.objectContaining({ status: 429, code: 'rate_limited' })] });
    expect(run!.finishedAt).toBeDefined();

    // The next tick (a minute later on Neon's clock: its window has room again).
    f.clock.advance(61_000);
    f.sim.control.setRateLimit({ consumptionPerMinute: 30 });
    const next = await collectUsage(deps, 'run-next', window, () => new Date(f.clock.now()));
    expect(next).toMatchObject({ status: 'succeeded', errors: [] });
    expect(next.rowsWritten).toBeGreaterThan(0);
  });

  it('a plan without per-branch history (403) gives per-project rows, reported; when it comes back, branch rows replace them with the same totals', async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: false } });
    const { computes, served, projects } = await fleet(f);
    for (let h = 0; h < 6; h++) await liveHour(f, computes, Date.parse(START) + h * HOUR, h);
    f.sim.control.setPerBranchConsumption(false);
    const deps = { neon: f.collectorNeon, store: f.store, projects: staticProjects(served), orgId: 'org-test' };
    const window = collectionWindow(new Date(f.clock.now()), 6);
    const projectLevel = await collectUsage(deps, 'run-403', window, () => new Date(f.clock.now()));
    expect(projectLevel).toMatchObject({ status: 'partial', perBranch: false, calls: 2 });
    expect(projectLevel.errors).toEqual([expect.objectContaining({ endpoint: 'GET /consumption_history/v2/branches', status: 403, code: 'endpoint_unavailable' })]);
    const branchIds = await f.database.db.selectFrom('usage_hourly').select('branch_id').distinct().execute();
    expect(branchIds).toEqual([{ branch_id: '' }]);
    const totals = async () =>
      Promise.all(projects.map(async (projectId) => (await f.store.totals({ projectIds: [projectId], from: window.from, to: window.to })).compute_unit_seconds));
    const before = await totals();
    expect(before).toEqual(projects.map((p) => f.sim.control.meter.usage(p, window.from.getTime(), window.to.getTime(), f.clock.now()).computeUnitSeconds));

    f.sim.control.setPerBranchConsumption(true);
    const perBranch = await collectUsage(deps, 'run-branches', window, () => new Date(f.clock.now()));
    expect(perBranch).toMatchObject({ status: 'succeeded', perBranch: true });
    expect(perBranch.rowsRemoved).toBeGreaterThan(0);
    expect(await totals()).toEqual(before);
    expect((await f.database.db.selectFrom('usage_hourly').select('branch_id').distinct().execute()).length).toBe(4);
  });

  it('asks for 100 projects a call: 150 projects cost two calls per route, and every project is stored', { timeout: 120_000 }, async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: false } });
    const projects = [];
    for (let i = 0; i < 150; i++) projects.push((await createProject(f.neon, `p-${i}`)).projectId);
    f.clock.advance(2 * HOUR);
    f.sim.control.resetCounters();
    const served = projects.map((projectId, i) => ({ projectId, teamId: i % 2 === 0 ? 'team-a' : 'team-b' }));
    const report = await collectUsage({ neon: f.collectorNeon, store: f.store, projects: staticProjects(served), orgId: 'org-test' }, 'run-150', collectionWindow(new Date(f.clock.now()), 2));
    expect(report).toMatchObject({ status: 'succeeded', projects: 150, calls: 4 });
    const byRoute = f.sim.control.counters().byRoute;
    expect(byRoute['GET /consumption_history/v2/projects']).toEqual({ '200': 2 });
    expect(byRoute['GET /consumption_history/v2/branches']).toEqual({ '200': 2 });
    const stored = await f.database.db.selectFrom('usage_hourly').select(['project_id', 'team_id']).distinct().execute();
    expect(stored).toHaveLength(150);
    expect(stored.filter((r) => r.team_id === 'team-a')).toHaveLength(75);
  });

  it('a 503 on one batch of 100 leaves that batch’s stored hours as they were, stores the other batch, reports partial; the next run completes it', { timeout: 120_000 }, async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: false } });
    const projects = [];
    for (let i = 0; i < 120; i++) projects.push((await createProject(f.neon, `p-${i}`)).projectId);
    const served = projects.map((projectId) => ({ projectId, teamId: 'team-a' }));
    const deps = { neon: f.collectorNeon, store: f.store, projects: staticProjects(served), orgId: 'org-test' };
    f.clock.advance(2 * HOUR);
    const window = collectionWindow(new Date(f.clock.now()), 2);
    expect((await collectUsage(deps, 'run-1', window)).status).toBe('succeeded');
    const stored = () => f.database.db.selectFrom('usage_hourly').selectAll().orderBy(['project_id', 'branch_id', 'hour']).execute();
    const before = await stored();

    // An hour later Neon answers 503 once: the first batch (the first 100 ids) is not collected.
    f.clock.advance(HOUR);
    f.sim.control.addFaults([{ route: 'GET /consumption_history/v2/projects', kind: 'status', status: 503, times: 1 }]);
    const later = collectionWindow(new Date(f.clock.now()), 2);
    const partial = await collectUsage(deps, 'run-2', later);
    const firstBatch = [...projects].sort().slice(0, 100);
    expect(partial).toMatchObject({ status: 'partial', calls: 3 });
    expect(partial.errors).toEqual([expect.objectContaining({ endpoint: 'GET /consumption_history/v2/projects', status: 503, projectIds: firstBatch })]);
    const after = await stored();
    // The failed batch kept what it had (nothing removed, no hour added); the other batch has the new hour.
    expect(after.filter((r) => firstBatch.includes(r.project_id))).toEqual(before.filter((r) => firstBatch.includes(r.project_id)));
    expect(after.filter((r) => !firstBatch.includes(r.project_id)).length).toBeGreaterThan(before.filter((r) => !firstBatch.includes(r.project_id)).length);
    const [run] = await f.store.listRuns(1);
    expect(run).toMatchObject({ id: 'run-2', status: 'partial', projects: 120, calls: 3, errors: [expect.objectContaining({ status: 503 })] });

    // The next tick collects the same hours for everyone.
    expect(await collectUsage(deps, 'run-3', later)).toMatchObject({ status: 'succeeded', errors: [] });
    for (const projectId of [firstBatch[0]!, projects.find((p) => !firstBatch.includes(p))!]) {
      const totals = await f.store.totals({ projectIds: [projectId], from: later.from, to: later.to });
      expect(totals.compute_unit_seconds).toBe(f.sim.control.meter.usage(projectId, later.from.getTime(), later.to.getTime(), f.clock.now()).computeUnitSeconds);
    }
  });

  it('stores nothing for projects it does not serve, and records an empty run', async () => {
    const f = await usageFixture({ start: START, sim: { rateLimit: false } });
    await createProject(f.neon, 'not-ours');
    f.clock.advance(2 * HOUR);
    const report = await collectUsage({ neon: f.collectorNeon, store: f.store, projects: staticProjects([]), orgId: 'org-test' }, 'run-empty', collectionWindow(new Date(f.clock.now()), 2));
    expect(report).toMatchObject({ status: 'succeeded', projects: 0, calls: 0, rowsWritten: 0 });
    expect(await f.database.db.selectFrom('usage_hourly').selectAll().execute()).toEqual([]);
  });

  it('windows are whole hours, the current one included, never beyond Neon’s hourly retention', () => {
    expect(collectionWindow(new Date('2026-10-05T10:20:00Z'), 3)).toEqual({ from: new Date('2026-10-05T07:00:00Z'), to: new Date('2026-10-05T11:00:00Z') });
    const longest = collectionWindow(new Date('2026-10-20T10:00:00Z'), 10_000);
    expect((longest.to.getTime() - longest.from.getTime()) / HOUR).toBe(168);
  });
});
