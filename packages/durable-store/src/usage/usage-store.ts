import { sql, type RawBuilder } from 'kysely';
import { z } from 'zod';
import type { DurableDatabase } from '../database.js';

/** Neon's v2 consumption metrics, as stored per project, branch and hour (Neon's names and units). */
export const USAGE_METRICS = [
  'compute_unit_seconds',
  'root_branch_bytes_month',
  'child_branch_bytes_month',
  'instant_restore_bytes_month',
  'public_network_transfer_bytes',
  'private_network_transfer_bytes',
  'extra_branches_month',
  'snapshot_storage_bytes_month',
] as const;
export const usageMetricSchema = z.enum(USAGE_METRICS);
export type UsageMetric = z.infer<typeof usageMetricSchema>;
export const usageMetricsSchema = z.object(Object.fromEntries(USAGE_METRICS.map((m) => [m, z.number()])) as Record<UsageMetric, z.ZodNumber>);
/** Every metric, summed. */
export type UsageMetrics = z.infer<typeof usageMetricsSchema>;

export const usageGranularitySchema = z.enum(['hourly', 'daily', 'monthly']);
export type UsageGranularity = z.infer<typeof usageGranularitySchema>;
export const usageGroupBySchema = z.enum(['project', 'branch', 'team']);
export type UsageGroupBy = z.infer<typeof usageGroupBySchema>;

/** One hour of one branch (or the project-level row, `branchId: ''`) as the collector writes it. */
export interface UsageHourRow {
  projectId: string;
  /** `''` for the project-level row. */
  branchId: string;
  /** Start of the hour; must be on the hour (UTC). */
  hour: Date;
  teamId: string | null;
  /** For a preview branch: the branch it was made from. */
  sourceBranchId?: string | null;
  /** Missing metrics are 0. */
  metrics: Partial<UsageMetrics>;
}

export interface UsageWriteResult {
  /** Rows inserted or changed. */
  written: number;
  /** Rows that were already stored with the same values. */
  unchanged: number;
  /** Rows of the window that the new data no longer has (removed). */
  removed: number;
}

/** Where a page of aggregated buckets starts: after this bucket and key. */
export interface UsageCursor {
  bucket: string;
  key: string;
}

export interface UsageAggregateQuery {
  /** Inclusive start. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  granularity: UsageGranularity;
  groupBy: UsageGroupBy;
  /** Only usage attributed to this team. Default: every team. */
  teamId?: string;
  /** Only these projects. Default: every project. */
  projectIds?: readonly string[];
  /** Keyset cursor: the last row of the previous page. */
  after?: UsageCursor;
  /** Rows at most. Default 1000. */
  limit?: number;
}

/** One bucket of one group. Buckets are UTC hours, days or calendar months. */
export interface UsageBucket {
  /** Start of the bucket (ISO 8601, UTC). */
  bucket: string;
  /** The group's key: team id, project id, or `project_id/branch_id` (`project_id/` for the project-level row). */
  key: string;
  teamId?: string | null;
  projectId?: string;
  branchId?: string;
  metrics: UsageMetrics;
}

export const usageRunStatusSchema = z.enum(['running', 'succeeded', 'partial', 'failed']);
export type UsageRunStatus = z.infer<typeof usageRunStatusSchema>;
/** One failed call of a collection run (no secrets: status, Neon's code and request id, the projects concerned). */
export const usageRunErrorSchema = z.object({
  endpoint: z.string(),
  status: z.number().int().optional(),
  code: z.string(),
  message: z.string(),
  requestId: z.string().optional(),
  projectIds: z.array(z.string()),
});
export type UsageRunError = z.infer<typeof usageRunErrorSchema>;
export const usageRunSchema = z.object({
  id: z.string(),
  windowFrom: z.string(),
  windowTo: z.string(),
  status: usageRunStatusSchema,
  projects: z.number().int(),
  calls: z.number().int(),
  rowsWritten: z.number().int(),
  errors: z.array(usageRunErrorSchema),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
});
export type UsageRun = z.infer<typeof usageRunSchema>;

const HOUR_MS = 3_600_000;
/** A timestamptz parameter (Kysely types a `timestamptz` column's operand as its read type, a Date; it is sent as ISO 8601). */
const at = (date: Date) => sql<Date>`${date.toISOString()}::timestamptz`;
const UPSERT_BATCH = 2000;

export const emptyUsage = (): UsageMetrics => Object.fromEntries(USAGE_METRICS.map((m) => [m, 0])) as UsageMetrics;

const metricList = sql.join(USAGE_METRICS.map((m) => sql.ref(m)));
const recordsetColumns = sql.raw(
  ['project_id text', 'branch_id text', 'hour timestamptz', 'team_id text', 'source_branch_id text', ...USAGE_METRICS.map((m) => `${m} double precision`)].join(', '),
);

function bucketExpression(granularity: UsageGranularity): RawBuilder<Date> {
  if (granularity === 'hourly') return sql<Date>`hour`;
  const unit = granularity === 'daily' ? 'day' : 'month';
  return sql<Date>`(date_trunc(${sql.lit(unit)}, hour at time zone 'UTC') at time zone 'UTC')`;
}

/**
 * Usage per project, branch and hour (table `usage_hourly`) and the collection runs' log
 * (`usage_collection_runs`). Writes are upserts by (project, branch, hour) that leave equal
 * rows untouched, so collecting a window twice changes nothing and late data corrects it.
 * Reads aggregate by hour, UTC day or UTC calendar month, per team, project or branch.
 */
export class UsageStore {
  constructor(private readonly database: DurableDatabase) {}

  /**
   * Upserts `rows` (batched, one statement per 2,000 rows, each batch one JSON parameter).
   * A row equal to the stored one is not rewritten (`collected_at` stays).
   */
  async upsert(rows: readonly UsageHourRow[]): Promise<Omit<UsageWriteResult, 'removed'>> {
    let written = 0;
    for (let i = 0; i < rows.length; i += UPSERT_BATCH) {
      written += await this.upsertBatch(this.database.db, rows.slice(i, i + UPSERT_BATCH));
    }
    return { written, unchanged: rows.length - written };
  }

  /**
   * Replaces what is stored for `projectIds` over the hours [from, to) by `rows`, in one
   * transaction: rows are upserted and the window's rows of those projects that `rows` no
   * longer has are deleted (a branch Neon no longer reports, a project-level row replaced by
   * per-branch rows). Every row must belong to `projectIds` and the window.
   */
  async replaceWindow(input: { projectIds: readonly string[]; from: Date; to: Date; rows: readonly UsageHourRow[] }): Promise<UsageWriteResult> {
    const projects = new Set(input.projectIds);
    for (const row of input.rows) {
      if (!projects.has(row.projectId)) throw new Error(`row of project ${row.projectId} is outside the projects being replaced`);
      if (row.hour < input.from || row.hour >= input.to) throw new Error(`row at ${row.hour.toISOString()} is outside the window`);
    }
    if (projects.size === 0) return { written: 0, unchanged: 0, removed: 0 };
    return this.database.db.transaction().execute(async (tx) => {
      let written = 0;
      for (let i = 0; i < input.rows.length; i += UPSERT_BATCH) written += await this.upsertBatch(tx, input.rows.slice(i, i + UPSERT_BATCH));
      const keys = JSON.stringify(input.rows.map((r) => ({ p: r.projectId, b: r.branchId, h: r.hour.toISOString() })));
      const deleted = await tx
        .deleteFrom('usage_hourly')
        .where('project_id', 'in', [...projects])
        .where('hour', '>=', at(input.from))
        .where('hour', '<', at(input.to))
        .where(
          sql<boolean>`not exists (select 1 from jsonb_to_recordset(${keys}::jsonb) as k(p text, b text, h timestamptz) where k.p = project_id and k.b = branch_id and k.h = hour)`,
        )
        .executeTakeFirst();
      return { written, unchanged: input.rows.length - written, removed: Number(deleted.numDeletedRows) };
    });
  }

  private async upsertBatch(db: DurableDatabase['db'], rows: readonly UsageHourRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const payload = JSON.stringify(
      rows.map((r) => {
        if (r.hour.getTime() % HOUR_MS !== 0) throw new Error(`usage hour ${r.hour.toISOString()} is not on the hour`);
        const metrics = emptyUsage();
        for (const m of USAGE_METRICS) metrics[m] = r.metrics[m] ?? 0;
        return { project_id: r.projectId, branch_id: r.branchId, hour: r.hour.toISOString(), team_id: r.teamId, source_branch_id: r.sourceBranchId ?? null, ...metrics };
      }),
    );
    const columns = ['project_id', 'branch_id', 'hour', 'team_id', 'source_branch_id', ...USAGE_METRICS] as const;
    const changed = sql.join(columns.slice(3).map((c) => sql`${sql.ref(`excluded.${c}`)}`));
    const stored = sql.join(columns.slice(3).map((c) => sql.raw(`usage_hourly.${c}`)));
    const result = await db
      .insertInto('usage_hourly')
      .columns([...columns])
      .expression(
        sql`select project_id, branch_id, hour, team_id, source_branch_id, ${metricList} from jsonb_to_recordset(${payload}::jsonb) as r(${recordsetColumns})`,
      )
      .onConflict((oc) =>
        oc
          .columns(['project_id', 'branch_id', 'hour'])
          .doUpdateSet((eb) => ({
            team_id: eb.ref('excluded.team_id'),
            source_branch_id: eb.ref('excluded.source_branch_id'),
            ...Object.fromEntries(USAGE_METRICS.map((m) => [m, eb.ref(`excluded.${m}`)])),
            collected_at: sql<Date>`now()`,
          }))
          .where(sql<boolean>`(${stored}) is distinct from (${changed})`),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n);
  }

  /**
   * Sums over [from, to) per bucket and group, ordered by bucket then key, one page of at
   * most `limit` rows after `after`.
   */
  async aggregate(query: UsageAggregateQuery): Promise<UsageBucket[]> {
    const bucket = bucketExpression(query.granularity);
    const keyExpression =
      query.groupBy === 'team' ? sql<string>`coalesce(team_id, '')` : query.groupBy === 'project' ? sql<string>`project_id` : sql<string>`project_id || '/' || branch_id`;
    let inner = this.database.db
      .selectFrom('usage_hourly')
      .select([bucket.as('bucket'), keyExpression.as('key')])
      .select(USAGE_METRICS.map((m) => sql<number>`sum(${sql.ref(m)})`.as(m)))
      .select(query.groupBy === 'team' ? [sql<string | null>`min(team_id)`.as('team_id')] : [sql<string | null>`min(team_id)`.as('team_id'), sql<string>`min(project_id)`.as('project_id'), sql<string>`min(branch_id)`.as('branch_id')])
      .where('hour', '>=', at(query.from))
      .where('hour', '<', at(query.to))
      .groupBy([bucket, keyExpression]);
    if (query.teamId !== undefined) inner = inner.where('team_id', '=', query.teamId);
    if (query.projectIds !== undefined) {
      if (query.projectIds.length === 0) return [];
      inner = inner.where('project_id', 'in', [...query.projectIds]);
    }
    let outer = this.database.db.selectFrom(inner.as('g')).selectAll();
    if (query.after !== undefined) {
      outer = outer.where(sql<boolean>`(g.bucket, g.key) > (${query.after.bucket}::timestamptz, ${query.after.key}::text)`);
    }
    const rows = await outer
      .orderBy('g.bucket')
      .orderBy(sql`g.key collate "C"`)
      .limit(query.limit ?? 1000)
      .execute();
    return rows.map((row) => {
      const r = row as Record<string, unknown>;
      const metrics = emptyUsage();
      for (const m of USAGE_METRICS) metrics[m] = Number(r[m] ?? 0);
      const base: UsageBucket = { bucket: new Date(r.bucket as Date | string).toISOString(), key: String(r.key), teamId: (r.team_id as string | null) ?? null, metrics };
      if (query.groupBy === 'project') return { ...base, projectId: String(r.project_id) };
      if (query.groupBy === 'branch') return { ...base, projectId: String(r.project_id), branchId: String(r.branch_id) };
      return base;
    });
  }

  /** Every metric summed over [from, to), for a team and/or projects (budgets: a team's month to date). */
  async totals(query: { from: Date; to: Date; teamId?: string; projectIds?: readonly string[] }): Promise<UsageMetrics> {
    if (query.projectIds !== undefined && query.projectIds.length === 0) return emptyUsage();
    let select = this.database.db
      .selectFrom('usage_hourly')
      .select(USAGE_METRICS.map((m) => sql<number | null>`sum(${sql.ref(m)})`.as(m)))
      .where('hour', '>=', at(query.from))
      .where('hour', '<', at(query.to));
    if (query.teamId !== undefined) select = select.where('team_id', '=', query.teamId);
    if (query.projectIds !== undefined) select = select.where('project_id', 'in', [...query.projectIds]);
    const row = (await select.executeTakeFirst()) as Record<string, unknown> | undefined;
    const metrics = emptyUsage();
    for (const m of USAGE_METRICS) metrics[m] = Number(row?.[m] ?? 0);
    return metrics;
  }

  /** Records that a run started (or restarted: a retried tick keeps its id). */
  async startRun(run: { id: string; windowFrom: Date; windowTo: Date; startedAt: Date }): Promise<void> {
    const values = {
      id: run.id,
      window_from: run.windowFrom.toISOString(),
      window_to: run.windowTo.toISOString(),
      status: 'running',
      projects: 0,
      calls: 0,
      rows_written: 0,
      errors: '[]',
      started_at: run.startedAt.toISOString(),
      finished_at: null,
    };
    const { id: _id, ...update } = values;
    await this.database.db
      .insertInto('usage_collection_runs')
      .values(values)
      .onConflict((oc) => oc.column('id').doUpdateSet(update))
      .execute();
  }

  /** Records how a run ended. */
  async finishRun(id: string, outcome: { status: Exclude<UsageRunStatus, 'running'>; projects: number; calls: number; rowsWritten: number; errors: UsageRunError[]; finishedAt: Date }): Promise<void> {
    await this.database.db
      .updateTable('usage_collection_runs')
      .set({
        status: outcome.status,
        projects: outcome.projects,
        calls: outcome.calls,
        rows_written: outcome.rowsWritten,
        errors: JSON.stringify(outcome.errors),
        finished_at: outcome.finishedAt.toISOString(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The latest runs, newest first. */
  async listRuns(limit = 20): Promise<UsageRun[]> {
    const rows = await this.database.db.selectFrom('usage_collection_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((r) =>
      usageRunSchema.parse({
        id: r.id,
        windowFrom: r.window_from.toISOString(),
        windowTo: r.window_to.toISOString(),
        status: r.status,
        projects: r.projects,
        calls: r.calls,
        rowsWritten: r.rows_written,
        errors: r.errors,
        startedAt: r.started_at.toISOString(),
        ...(r.finished_at === null ? {} : { finishedAt: r.finished_at.toISOString() }),
      }),
    );
  }
}
