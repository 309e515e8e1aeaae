import { USAGE_METRICS, type UsageHourRow, type UsageMetric, type UsageRunError, type UsageRunStatus, type UsageStore } from '@neonops/durable-store';
import { NeonApiError, NeonError, type NeonClient } from '@neonops/neon-client';

/** A project the deployment serves, with the team its usage is attributed to (null: no team owns it). */
export interface ServedProject {
  projectId: string;
  teamId: string | null;
}

/** The projects to collect, read at each run (the teams file's and those our intents made). */
export type ProjectSource = () => Promise<ServedProject[]>;

/** Metrics Neon gives per branch (`/consumption_history/v2/branches`); the others come per project only. */
export const BRANCH_METRICS = [
  'compute_unit_seconds',
  'root_branch_bytes_month',
  'child_branch_bytes_month',
  'instant_restore_bytes_month',
  'public_network_transfer_bytes',
  'private_network_transfer_bytes',
] as const satisfies readonly UsageMetric[];
const PROJECT_ONLY_METRICS = USAGE_METRICS.filter((m) => !(BRANCH_METRICS as readonly string[]).includes(m));

type ProjectPage = Awaited<ReturnType<NeonClient['getConsumptionHistoryPerProject']>>;
type BranchPage = Awaited<ReturnType<NeonClient['getConsumptionHistoryPerBranch']>>;

const HOUR_MS = 3_600_000;
/** Neon keeps hourly history 168 hours; an older `from` gets 406. One hour of margin for the clock between us and Neon. */
const HOURLY_RETENTION_HOURS = 167;
/** Neon takes at most 100 `project_ids` per consumption call. */
export const PROJECTS_PER_CALL = 100;
/** Branches per page of `/consumption_history/v2/branches` (Neon's maximum). */
const BRANCHES_PER_PAGE = 1000;

export interface CollectDeps {
  /**
   * The Neon client the collector calls: give it the shared rate budget and few attempts
   * (`retry.maxAttempts` 2): a run that meets a 429 after them stops and leaves the window to
   * the next tick, which collects it again.
   */
  neon: NeonClient;
  store: UsageStore;
  projects: ProjectSource;
  /** Neon organization id (`org_id`, required by the consumption routes). */
  orgId: string;
}

export interface CollectWindow {
  /** Inclusive, on the hour. */
  from: Date;
  /** Exclusive, on the hour. */
  to: Date;
}

export interface CollectReport {
  runId: string;
  window: { from: string; to: string };
  status: Exclude<UsageRunStatus, 'running'>;
  projects: number;
  /** Neon calls made (pages included). */
  calls: number;
  rowsWritten: number;
  rowsUnchanged: number;
  rowsRemoved: number;
  /** Whether per-branch history was used (false: the plan lacks it, rows are per project). */
  perBranch: boolean;
  errors: UsageRunError[];
}

/**
 * The hours to collect at `now`: the last `lookbackHours` whole hours and the current,
 * partial one ([floor(now) − lookback h, floor(now) + 1 h)), never older than Neon's hourly
 * retention. Re-collecting hours already stored corrects what Neon reported late.
 */
export function collectionWindow(now: Date, lookbackHours: number): CollectWindow {
  const hour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  const back = Math.min(Math.max(0, lookbackHours), HOURLY_RETENTION_HOURS);
  return { from: new Date(hour - back * HOUR_MS), to: new Date(hour + HOUR_MS) };
}

/** Why a run stops calling Neon: a 429 (rate limit) — the rest waits for the next tick. */
class StopRun extends Error {}

function describeError(endpoint: string, projectIds: string[], error: unknown): UsageRunError {
  if (error instanceof NeonApiError) {
    const unavailable = error.status === 403 || error.status === 404 || error.status === 406;
    return {
      endpoint,
      status: error.status,
      code: error.status === 429 ? 'rate_limited' : unavailable ? 'endpoint_unavailable' : error.errorCode,
      message: error.neonMessage,
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      projectIds,
    };
  }
  if (error instanceof NeonError) return { endpoint, code: error.errorCode, message: error.message, projectIds };
  return { endpoint, code: 'collect_failed', message: error instanceof Error ? error.message : String(error), projectIds };
}

const metricsOf = (entries: ReadonlyArray<{ metric_name: string; value: number }> | undefined, keep: readonly string[]) => {
  const out: Partial<Record<UsageMetric, number>> = {};
  for (const m of entries ?? []) if (keep.includes(m.metric_name)) out[m.metric_name as UsageMetric] = m.value;
  return out;
};
const isZero = (metrics: Partial<Record<UsageMetric, number>>) => Object.values(metrics).every((v) => v === 0);

/**
 * One collection run: Neon's hourly consumption history for every served project over
 * `window`, 100 projects per call, every page (`cursor`), per branch where the plan allows
 * (`/consumption_history/v2/branches`; a 403/404/406 there falls back to per-project rows
 * for the rest of the run and is recorded), stored with `replaceWindow` (idempotent; late
 * data corrects the stored hours). A 429 stops the run (recorded; the next tick collects the
 * window again): no tight retry loop. The run and its errors go to `usage_collection_runs`.
 */
export async function collectUsage(deps: CollectDeps, runId: string, window: CollectWindow, now: () => Date = () => new Date()): Promise<CollectReport> {
  const { store, neon } = deps;
  await store.startRun({ id: runId, windowFrom: window.from, windowTo: window.to, startedAt: now() });
  const served = await deps.projects();
  const teamOf = new Map(served.map((p) => [p.projectId, p.teamId]));
  const ids = [...teamOf.keys()].sort();
  const range = { from: window.from.toISOString(), to: window.to.toISOString(), granularity: 'hourly' as const, org_id: deps.orgId };
  const errors: UsageRunError[] = [];
  let calls = 0;
  let perBranch = true;
  const totals = { written: 0, unchanged: 0, removed: 0 };
  let failedChunks = 0;

  // Every page of a consumption listing, counting calls; a failure is recorded and rethrown.
  // `isLast` spares the call for the empty page Neon would answer after the last full one.
  const pages = async <P extends { pagination?: { cursor?: string } }>(
    endpoint: string,
    chunk: string[],
    isLast: (page: NoInfer<P>) => boolean,
    fetchPage: (cursor: string | undefined) => Promise<P>,
  ): Promise<P[]> => {
    const out: P[] = [];
    let cursor: string | undefined;
    for (;;) {
      calls++;
      let page: P;
      try {
        page = await fetchPage(cursor);
      } catch (error) {
        const described = describeError(endpoint, chunk, error);
        errors.push(described);
        if (described.code === 'rate_limited') throw new StopRun();
        throw error;
      }
      out.push(page);
      const next = page.pagination?.cursor;
      if (next === undefined || next === '' || next === cursor || isLast(page)) return out;
      cursor = next;
    }
  };

  try {
    for (let i = 0; i < ids.length; i += PROJECTS_PER_CALL) {
      const chunk = ids.slice(i, i + PROJECTS_PER_CALL);
      const rows = new Map<string, UsageHourRow>();
      const add = (projectId: string, branchId: string, start: string | undefined, metrics: Partial<Record<UsageMetric, number>>) => {
        if (start === undefined) return;
        const hour = new Date(start);
        if (hour < window.from || hour >= window.to || isZero(metrics)) return;
        const key = `${projectId}/${branchId}/${hour.getTime()}`;
        const row = rows.get(key);
        if (row) row.metrics = { ...row.metrics, ...metrics };
        else rows.set(key, { projectId, branchId, hour, teamId: teamOf.get(projectId) ?? null, metrics });
      };
      try {
        const projectPages = await pages<ProjectPage>(
          'GET /consumption_history/v2/projects',
          chunk,
          // Every requested project answered (one page holds the ≤ 100 asked for), or a short page.
          (page) => page.projects.length < PROJECTS_PER_CALL || new Set(page.projects.map((p) => p.project_id)).size >= chunk.length,
          (cursor) =>
          neon.getConsumptionHistoryPerProject({ ...range, metrics: [...USAGE_METRICS], project_ids: chunk, limit: PROJECTS_PER_CALL, ...(cursor ? { cursor } : {}) })
        );
        let branchPages: BranchPage[] | undefined;
        if (perBranch) {
          try {
            branchPages = await pages<BranchPage>('GET /consumption_history/v2/branches', chunk, (page) => page.branches.length < BRANCHES_PER_PAGE, (cursor) =>
              neon.getConsumptionHistoryPerBranch({ ...range, metrics: [...BRANCH_METRICS], project_ids: chunk, limit: BRANCHES_PER_PAGE, ...(cursor ? { cursor } : {}) })
            );
          } catch (error) {
            if (!(error instanceof NeonApiError) || ![403, 404, 406].includes(error.status)) throw error;
            perBranch = false; // The plan has no per-branch history: per-project rows from here on.
          }
        }
        for (const page of projectPages) {
          for (const project of page.projects) {
            if (!teamOf.has(project.project_id)) continue;
            const keep = branchPages ? PROJECT_ONLY_METRICS : USAGE_METRICS;
            for (const period of project.periods) for (const c of period.consumption) add(project.project_id, '', c.timeframe_start, metricsOf(c.metrics, keep));
          }
        }
        for (const page of branchPages ?? []) {
          for (const branch of page.branches) {
            if (!teamOf.has(branch.project_id)) continue;
            for (const period of branch.periods) for (const c of period.consumption) add(branch.project_id, branch.branch_id, c.timeframe_start, metricsOf(c.metrics, BRANCH_METRICS));
          }
        }
      } catch (error) {
        if (error instanceof StopRun) throw error;
        failedChunks++;
        continue; // Recorded by `pages`; the chunk's stored hours stay as they were.
      }
      const result = await store.replaceWindow({ projectIds: chunk, from: window.from, to: window.to, rows: [...rows.values()] });
      totals.written += result.written;
      totals.unchanged += result.unchanged;
      totals.removed += result.removed;
    }
  } catch (error) {
    if (!(error instanceof StopRun)) throw error;
    failedChunks = Math.ceil(ids.length / PROJECTS_PER_CALL); // at least one chunk was not collected
  }
  const status: CollectReport['status'] = errors.length === 0 ? 'succeeded' : failedChunks > 0 && totals.written + totals.unchanged === 0 && ids.length > 0 ? 'failed' : 'partial';
  await store.finishRun(runId, { status, projects: ids.length, calls, rowsWritten: totals.written, errors, finishedAt: now() });
  return {
    runId,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    status,
    projects: ids.length,
    calls,
    rowsWritten: totals.written,
    rowsUnchanged: totals.unchanged,
    rowsRemoved: totals.removed,
    perBranch,
    errors,
  };
}
