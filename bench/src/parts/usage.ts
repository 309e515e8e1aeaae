/**
 * Part `usage`: (1) the usage collection for 1,000 projects × 24 hours — its time and its
 * Neon calls (100 projects per consumption call, per project and per branch), and a second
 * collection of the same window (nothing changes); (2) `GET /v1/usage` latency over a year of
 * hourly rows for 100 projects (876,000 rows seeded directly in SQL), for three query shapes.
 * The durable store is the machine's PostgreSQL when one answers (`DATABASE_URL`, else
 * 127.0.0.1:5432/test), else PGlite; a schema of its own, dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import { buildApp, hashToken, TeamDirectory } from '@neonops/api';
import { migrateToLatest, openDatabase, UsageStore, type DurableDatabase } from '@neonops/durable-store';
import { SecretBox } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { createManualClock, startNeonSimulator } from '@neonops/neon-sim';
import { findTestDatabase } from '@neonops/testing';
import { collectionWindow, collectUsage } from '@neonops/worker';
import { sql } from 'kysely';
import type { BenchContext } from '../context.js';
import { createProjects, simClient } from '../service.js';
import { fmt, percentile } from '../stats.js';
import type { Row } from '../table.js';

export interface UsageOptions {
  /** Projects collected (part 1). Default 1000. */
  projects: number;
  /** Hours collected (part 1). Default 24. */
  hours: number;
  /** Projects with a year of hourly rows (part 2). Default 100. */
  readProjects: number;
  /** Requests per query shape (part 2). */
  requests: number;
}

const HOUR = 3_600_000;
const TEAM = 'bench-usage';
const TOKEN = 'bench-usage-token';

export async function runUsage(ctx: BenchContext, options: UsageOptions): Promise<Row[]> {
  const target = await findTestDatabase();
  const schema = `bench_usage_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  // Seeding a year of rows takes longer than the default 10 s query timeout.
  const database = await openDatabase({ url: target.url, schema, queryTimeoutMs: 600_000 });
  try {
    await migrateToLatest(database);
    const rows = await collection(database, options);
    rows.push(...(await reads(ctx, database, options)));
    rows.push({ part: '8 usage', metric: 'durable store', value: database.engine, note: target.source });
    return rows;
  } finally {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db).catch(() => undefined);
    await database.close();
  }
}

async function collection(database: DurableDatabase, options: UsageOptions): Promise<Row[]> {
  const clock = createManualClock(Date.parse('2026-11-01T00:00:00.000Z'));
  const sim = await startNeonSimulator({ clock, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  try {
    const projects = await createProjects(simClient(sim), options.projects, 32);
    clock.advance(options.hours * HOUR);
    // Neon's limits from here on (the consumption routes: 30 requests a minute).
    sim.control.setRateLimit({ perMinute: 700, perRoutePerSecond: 40, consumptionPerMinute: 30 });
    sim.control.resetCounters();
    const deps = {
      neon: createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 1 } }),
      store: new UsageStore(database),
      projects: async () => projects.map((projectId) => ({ projectId, teamId: TEAM })),
      orgId: 'org-bench',
    };
    const window = collectionWindow(new Date(clock.now()), options.hours - 1);
    const t0 = performance.now();
    const first = await collectUsage(deps, 'bench-1', window);
    const firstMs = performance.now() - t0;
    const counters = sim.control.counters();
    // The next tick, a minute later on Neon's clock (its consumption window has room again).
    clock.advance(61_000);
    const t1 = performance.now();
    const second = await collectUsage(deps, 'bench-2', window);
    const secondMs = performance.now() - t1;
    if (first.status !== 'succeeded' || second.status !== 'succeeded') throw new Error(`collection ${first.status}/${second.status}: ${JSON.stringify([...first.errors, ...second.errors])}`);
    const byRoute = Object.entries(counters.byRoute)
      .map(([route, statuses]) => `${route.replace('GET /consumption_history/v2/', '')} ${Object.values(statuses).reduce((a, b) => a + b, 0)}`)
      .join(', ');
    return [
      { part: '8 usage', metric: `collection of ${options.projects} projects × ${options.hours} h`, value: `${(firstMs / 1000).toFixed(2)} s`, note: `${first.rowsWritten.toLocaleString('en-US')} rows written (per branch and hour)` },
      { part: '8 usage', metric: 'Neon calls of that collection', value: String(first.calls), note: `${byRoute}; 100 projects a call; fits Neon's 30/min on consumption routes` },
      { part: '8 usage', metric: 'the same window collected again', value: `${(secondMs / 1000).toFixed(2)} s`, note: `${second.rowsWritten} rows changed (the current, partial hour, 61 s later), ${second.rowsUnchanged.toLocaleString('en-US')} unchanged` },
    ];
  } finally {
    await sim.close();
  }
}

async function reads(ctx: BenchContext, database: DurableDatabase, options: UsageOptions): Promise<Row[]> {
  const yearEnd = Date.parse('2026-11-01T00:00:00.000Z');
  const yearStart = yearEnd - 365 * 24 * HOUR;
  const s0 = performance.now();
  // A year of hourly rows for each project, seeded in one statement (the collector's writes are measured above).
  await sql`
    insert into ${sql.id(database.schema, 'usage_hourly')} (project_id, branch_id, hour, team_id, compute_unit_seconds, root_branch_bytes_month, public_network_transfer_bytes)
    select 'bench-p-' || p, 'br-main', h, ${TEAM}, (p * 37 + extract(hour from h at time zone 'UTC') * 11)::double precision, 1e6 + p, 2048 * p
    from generate_series(1, ${options.readProjects}::int) as p,
         generate_series(${new Date(yearStart).toISOString()}::timestamptz, ${new Date(yearEnd - HOUR).toISOString()}::timestamptz, interval '1 hour') as h`.execute(database.db);
  await sql`analyze ${sql.id(database.schema, 'usage_hourly')}`.execute(database.db);
  const seededRows = options.readProjects * 365 * 24;
  const seedSeconds = (performance.now() - s0) / 1000;
  const prefix = ctx.prefix('usage');
  const app = await buildApp({
    redis: { url: ctx.redisUrl },
    keyPrefix: prefix,
    teams: new TeamDirectory([{ id: TEAM, tokenHashes: [hashToken(TOKEN)], projects: [] }]),
    secretBox: new SecretBox(SecretBox.generateKey()),
    database: { database },
    now: () => new Date(yearEnd),
  });
  try {
    const iso = (ms: number) => new Date(ms).toISOString();
    const shapes = [
      { name: 'monthly by project, the whole year', url: `/v1/usage?from=${iso(yearStart)}&to=${iso(yearEnd)}&granularity=monthly&limit=1000`, requests: Math.max(5, Math.ceil(options.requests / 4)) },
      { name: 'daily by project, the last 31 days', url: `/v1/usage?from=${iso(yearEnd - 31 * 24 * HOUR)}&to=${iso(yearEnd)}&granularity=daily&limit=1000`, requests: options.requests },
      { name: 'hourly by branch, the last 24 hours', url: `/v1/usage?from=${iso(yearEnd - 24 * HOUR)}&to=${iso(yearEnd)}&granularity=hourly&groupBy=branch&limit=1000`, requests: options.requests },
    ];
    const out: Row[] = [{ part: '8 usage', metric: `seeded a year of hourly rows for ${options.readProjects} projects`, value: `${seedSeconds.toFixed(1)} s`, note: `${seededRows.toLocaleString('en-US')} rows in one INSERT … SELECT` }];
    for (const shape of shapes) {
      const latencies: number[] = [];
      let items = 0;
      for (let i = 0; i < shape.requests + 2; i++) {
        const t0 = performance.now();
        const res = await app.inject({ method: 'GET', url: shape.url, headers: { authorization: `Bearer ${TOKEN}` } });
        const ms = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`GET ${shape.url} answered ${res.statusCode}: ${res.body}`);
        items = (res.json() as { items: unknown[] }).items.length;
        if (i >= 2) latencies.push(ms); // two warm-up requests
      }
      latencies.sort((a, b) => a - b);
      out.push({
        part: '8 usage',
        metric: `GET /v1/usage ${shape.name}`,
        value: `p99 ${fmt.ms(percentile(latencies, 99))}`,
        note: `p50 ${fmt.ms(percentile(latencies, 50))}; ${items} items a page; ${shape.requests} requests one at a time (inject)`,
      });
    }
    return out;
  } finally {
    await app.close();
    await ctx.cleanup(prefix);
  }
}
