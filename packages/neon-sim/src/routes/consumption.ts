import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { badRequest, SimHttpError } from '../http/errors.js';
import { pageAfterId, parseLimit, parseList } from '../http/pagination.js';
import { iso, consumptionPeriod } from '../http/serialize.js';
import type { ResponseBody } from '../http/types.js';
import type { ProjectRecord } from '../state/records.js';

type Query = { Querystring: Record<string, string | string[] | undefined> };
type Granularity = 'hourly' | 'daily' | 'monthly';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONTH_MS = 30 * DAY;
/** Neon keeps hourly data 168 hours, daily data 60 days and monthly data a year. */
const RETENTION: Record<Granularity, number> = { hourly: 168 * HOUR, daily: 60 * DAY, monthly: 366 * DAY };
const EARLIEST = Date.UTC(2024, 2, 1);
/** Projects beyond this many branches pay for "extra branches". */
const INCLUDED_BRANCHES = 10;

export const V2_METRICS = [
  'compute_unit_seconds',
  'root_branch_bytes_month',
  'child_branch_bytes_month',
  'instant_restore_bytes_month',
  'public_network_transfer_bytes',
  'private_network_transfer_bytes',
  'extra_branches_month',
  'snapshot_storage_bytes_month',
] as const;
/** What `GET /consumption_history/v2/branches` accepts (Neon reports extra branches and snapshots per project only). */
export const V2_BRANCH_METRICS = [
  'compute_unit_seconds',
  'root_branch_bytes_month',
  'child_branch_bytes_month',
  'instant_restore_bytes_month',
  'public_network_transfer_bytes',
  'private_network_transfer_bytes',
] as const;
const V1_OPTIONAL = ['data_storage_bytes_hour', 'logical_size_bytes', 'logical_size_bytes_hour'] as const;
const V1_DEFAULT = ['active_time_seconds', 'compute_time_seconds', 'written_data_bytes', 'synthetic_storage_size_bytes'] as const;

function single(raw: string | string[] | undefined): string | undefined {
  return Array.isArray(raw) ? raw[0] : raw;
}

function floorTo(ms: number, g: Granularity): number {
  const d = new Date(ms);
  if (g === 'hourly') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
  if (g === 'daily') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextBucket(ms: number, g: Granularity): number {
  if (g === 'hourly') return ms + HOUR;
  if (g === 'daily') return ms + DAY;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A stable UUID for a project's billing period (no randomness, so reads never shift ids). */
function periodId(projectId: string, start: number): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const ch of `${projectId}/${start}`) {
    h1 = Math.imul(h1 ^ ch.charCodeAt(0), 16777619) >>> 0;
    h2 = Math.imul(h2 + ch.charCodeAt(0), 2246822519) >>> 0;
  }
  const hex = (h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).repeat(2);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface Window {
  buckets: Array<[number, number]>;
  projects: ProjectRecord[];
  cursor?: string;
  granularity: Granularity;
}

/** Parses and checks the shared query, then picks the page of projects and the time buckets. */
interface Range {
  buckets: Array<[number, number]>;
  granularity: Granularity;
}

/** Parses and checks `from`, `to` and `granularity` (Neon's retention: 406 outside it) and cuts the buckets. */
function range(sim: Simulation, query: Query['Querystring']): Range {
  const fromRaw = single(query.from);
  const toRaw = single(query.to);
  const granularity = single(query.granularity);
  if (!fromRaw || !toRaw) throw badRequest('from and to are required');
  if (granularity !== 'hourly' && granularity !== 'daily' && granularity !== 'monthly') {
    throw badRequest('granularity must be one of hourly, daily, monthly');
  }
  const fromMs = Date.parse(fromRaw);
  const toMs = Date.parse(toRaw);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw badRequest('from and to must be date-time values');
  const now = sim.now();
  const from = floorTo(fromMs, granularity);
  let to = floorTo(toMs, granularity);
  if (to <= from) to = nextBucket(from, granularity);
  if (fromMs > toMs) throw badRequest('from must not be after to');
  if (from < EARLIEST || from < floorTo(now - RETENTION[granularity], granularity)) {
    throw new SimHttpError(406, `the range is not available with ${granularity} granularity`);
  }
  const buckets: Array<[number, number]> = [];
  for (let s = from; s < to && s <= now; s = nextBucket(s, granularity)) buckets.push([s, nextBucket(s, granularity)]);
  return { buckets, granularity };
}

function window(sim: Simulation, query: Query['Querystring']): Window {
  const { buckets, granularity } = range(sim, query);
  const to = buckets.length === 0 ? sim.now() : buckets[buckets.length - 1]![1];
  const from = buckets[0]?.[0] ?? sim.now();
  const ids = parseList(query.project_ids);
  if (ids.length > 100) throw badRequest('at most 100 project_ids');
  const limit = parseLimit(single(query.limit), 1, 100, 10) ?? 10;
  const candidates = [...sim.store.projects.values()]
    .filter((p) => p.createdAt < to && (p.deletedAt === undefined || p.deletedAt >= from))
    .filter((p) => ids.length === 0 || ids.includes(p.id))
    .reverse();
  const { page, cursor } = pageAfterId(candidates, (p) => p.id, single(query.cursor), limit);
  return { buckets, projects: page, granularity, ...(cursor !== undefined ? { cursor } : {}) };
}

export function registerConsumptionRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get<Query>('/consumption_history/v2/branches', async (request) => {
    if (!sim.perBranchConsumption) {
      throw new SimHttpError(403, 'branch consumption history is not available on this plan: it requires a paid usage-based Launch, Scale, Agent or Enterprise plan');
    }
    const metrics = parseList(request.query.metrics);
    if (metrics.length === 0) throw badRequest('metrics is required');
    const unknown = metrics.find((m) => !(V2_BRANCH_METRICS as readonly string[]).includes(m));
    if (unknown) throw badRequest(`metric ${unknown} is not supported on this endpoint`);
    const projectIds = parseList(request.query.project_ids);
    if (projectIds.length === 0) throw badRequest('project_ids is required');
    if (projectIds.length > 100) throw badRequest('at most 100 project_ids');
    const branchIds = parseList(request.query.branch_ids);
    if (branchIds.length > 100) throw badRequest('at most 100 branch_ids');
    const { buckets } = range(sim, request.query);
    const now = sim.now();
    const from = buckets[0]?.[0] ?? now;
    const to = buckets.length === 0 ? now : buckets[buckets.length - 1]![1];
    const limit = parseLimit(single(request.query.limit), 1, 1000, 100) ?? 100;
    const candidates = projectIds
      .flatMap((id) => {
        const project = sim.store.projects.get(id);
        return project === undefined ? [] : [...sim.store.allBranchesOf(project.id)];
      })
      .filter((b) => b.createdAt < to && (b.deletedAt === undefined || b.deletedAt >= from))
      .filter((b) => branchIds.length === 0 || branchIds.includes(b.id));
    const { page, cursor } = pageAfterId(candidates, (b) => b.id, single(request.query.cursor), limit);
    const body: ResponseBody<'getConsumptionHistoryPerBranchV2', 200> = {
      branches: page.map((b) => ({
        project_id: b.projectId,
        branch_id: b.id,
        periods: [
          {
            period_id: periodId(`${b.projectId}/${b.id}`, consumptionPeriod(buckets[0]?.[0] ?? now).start),
            period_plan: 'scale',
            period_start: iso(consumptionPeriod(buckets[0]?.[0] ?? now).start),
            consumption: buckets.map(([s, e]) => {
              const values = branchValues(sim, b.projectId, b.id, s, e, now);
              return { timeframe_start: iso(s), timeframe_end: iso(e), metrics: metrics.map((m) => ({ metric_name: m, value: values[m] ?? 0 })) };
            }),
          },
        ],
      })),
      ...(cursor !== undefined ? { pagination: { cursor } } : {}),
    };
    return body;
  });

  app.get<Query>('/consumption_history/v2/projects', async (request) => {
    const metrics = parseList(request.query.metrics);
    if (metrics.length === 0) throw badRequest('metrics is required');
    const unknown = metrics.find((m) => !(V2_METRICS as readonly string[]).includes(m));
    if (unknown) throw badRequest(`unknown metric ${unknown}`);
    const w = window(sim, request.query);
    const now = sim.now();
    const body: ResponseBody<'getConsumptionHistoryPerProjectV2', 200> = {
      projects: w.projects.map((p) => ({
        project_id: p.id,
        periods: [
          {
            period_id: periodId(p.id, consumptionPeriod(w.buckets[0]?.[0] ?? now).start),
            period_plan: 'scale',
            period_start: iso(consumptionPeriod(w.buckets[0]?.[0] ?? now).start),
            consumption: w.buckets.map(([s, e]) => {
              const usage = sim.meter.usage(p.id, s, e, now);
              const storage = sim.meter.storageAt(p.id, Math.min(e, now), now);
              const fraction = (Math.min(e, now) - s) / MONTH_MS;
              const values: Record<string, number> = {
                compute_unit_seconds: usage.computeUnitSeconds,
                root_branch_bytes_month: Math.round(storage.rootBytes * fraction),
                child_branch_bytes_month: Math.round(storage.childBytes * fraction),
                instant_restore_bytes_month: Math.round(usage.writtenBytes * fraction),
                public_network_transfer_bytes: usage.transferBytes,
                private_network_transfer_bytes: 0,
                extra_branches_month: Math.round(Math.max(0, storage.branches - INCLUDED_BRANCHES) * fraction),
                snapshot_storage_bytes_month: 0,
              };
              return {
                timeframe_start: iso(s),
                timeframe_end: iso(e),
                metrics: metrics.map((m) => ({ metric_name: m, value: values[m] ?? 0 })),
              };
            }),
          },
        ],
      })),
      ...(w.cursor !== undefined ? { pagination: { cursor: w.cursor } } : {}),
    };
    return body;
  });

  app.get<Query>('/consumption_history/projects', async (request) => {
    const requested = parseList(request.query.metrics);
    const known = [...V1_DEFAULT, ...V1_OPTIONAL] as readonly string[];
    const unknown = requested.find((m) => !known.includes(m));
    if (unknown) throw badRequest(`unknown metric ${unknown}`);
    const extra = new Set(requested);
    const w = window(sim, request.query);
    const now = sim.now();
    const body: ResponseBody<'getConsumptionHistoryPerProject', 200> = {
      projects: w.projects.map((p) => ({
        project_id: p.id,
        periods: [
          {
            period_id: periodId(p.id, consumptionPeriod(w.buckets[0]?.[0] ?? now).start),
            period_plan: 'scale',
            period_start: iso(consumptionPeriod(w.buckets[0]?.[0] ?? now).start),
            consumption: w.buckets.map(([s, e]) => {
              const usage = sim.meter.usage(p.id, s, e, now);
              const storage = sim.meter.storageAt(p.id, Math.min(e, now), now);
              const size = storage.rootBytes + storage.childBytes;
              const hours = (Math.min(e, now) - s) / HOUR;
              return {
                timeframe_start: iso(s),
                timeframe_end: iso(e),
                active_time_seconds: usage.activeSeconds,
                compute_time_seconds: usage.computeUnitSeconds,
                written_data_bytes: usage.writtenBytes,
                synthetic_storage_size_bytes: size,
                ...(extra.has('data_storage_bytes_hour') ? { data_storage_bytes_hour: Math.round(size * hours) } : {}),
                ...(extra.has('logical_size_bytes') ? { logical_size_bytes: storage.rootBytes } : {}),
                ...(extra.has('logical_size_bytes_hour') ? { logical_size_bytes_hour: Math.round(storage.rootBytes * hours) } : {}),
              };
            }),
          },
        ],
      })),
      ...(w.cursor !== undefined ? { pagination: { cursor: w.cursor } } : {}),
    };
    return body;
  });
}

/**
 * One branch's v2 metrics over [s, e): its computes' time and transfer, the data written on it,
 * and its storage at the bucket's end (root or child by whether it has a parent) prorated
 * over a 30-day month, as the project-level route does for the whole project.
 */
function branchValues(sim: Simulation, projectId: string, branchId: string, s: number, e: number, now: number): Record<string, number> {
  const usage = sim.meter.usage(projectId, s, e, now, branchId);
  const storage = sim.meter.branchStorageAt(projectId, branchId, Math.min(e, now), now);
  const fraction = (Math.min(e, now) - s) / MONTH_MS;
  const stored = storage.alive ? Math.round(storage.bytes * fraction) : 0;
  return {
    compute_unit_seconds: usage.computeUnitSeconds,
    root_branch_bytes_month: storage.root ? stored : 0,
    child_branch_bytes_month: storage.root ? 0 : stored,
    instant_restore_bytes_month: Math.round(usage.writtenBytes * fraction),
    public_network_transfer_bytes: usage.transferBytes,
    private_network_transfer_bytes: 0,
  };
}
