import type { IntentKind, TerminalStatus } from '@neonops/intents';
import type { ColumnType, Generated } from 'kysely';

/*
 * The database's schema as TypeScript sees it: one interface per table, written once here
 * and kept in step with src/migrations/ (a migration that changes a table changes its
 * interface in the same commit). Rows are typed for Kysely's queries only; what leaves the
 * package is parsed with the domain's zod schemas (see intent-history.ts).
 */

/** A `jsonb` column: read back parsed, written as JSON text (`pg` would turn a JS array into a PostgreSQL array). */
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null, string | null>;
/** A `timestamptz` column: read as a Date, written as an ISO 8601 string. */
type Timestamp = ColumnType<Date, string, string>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;

/** `intent_history`: every intent once it ended, without its secrets (see the 0001 migration). */
export interface IntentHistoryTable {
  /** The intent id (`int_…`), collated "C" so that it sorts as Redis sorts it: by time. */
  id: string;
  team_id: string;
  kind: ColumnType<string, IntentKind, IntentKind>;
  status: ColumnType<string, TerminalStatus, TerminalStatus>;
  params: Json<unknown>;
  steps: Json<unknown>;
  operation_ids: Json<unknown>;
  resources: NullableJson<unknown>;
  undo: NullableJson<unknown>;
  result: NullableJson<unknown>;
  error: NullableJson<unknown>;
  has_secrets: boolean;
  cancel_requested: boolean;
  idempotency_key: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: Timestamp;
  updated_at: Timestamp;
  /** Who submitted it (`IntentActor` of @neonops/intents; migration 0005); null before 0005 and on partial rows. */
  actor_type: ColumnType<string | null, string | null | undefined, string | null>;
  actor_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** True when written from the intent's end event alone (its Redis record had expired). */
  partial: boolean;
  /** When this row was last written. */
  recorded_at: Generated<Date>;
}

/** `usage_hourly`: Neon's consumption per project, branch and hour (see the 0002 migration). Metrics are Neon's v2 names and units. */
export interface UsageHourlyTable {
  project_id: string;
  /** `''` for the project-level row (metrics Neon gives per project only, or all of them when the plan has no per-branch history). */
  branch_id: string;
  /** Start of the hour (UTC). */
  hour: Timestamp;
  /** The team the usage is attributed to (project ownership); null when no team owns the project. */
  team_id: string | null;
  /** For a preview branch, the branch it was made from (its source); null otherwise. */
  source_branch_id: string | null;
  compute_unit_seconds: number;
  root_branch_bytes_month: number;
  child_branch_bytes_month: number;
  instant_restore_bytes_month: number;
  public_network_transfer_bytes: number;
  private_network_transfer_bytes: number;
  extra_branches_month: number;
  snapshot_storage_bytes_month: number;
  /** When the row was last changed by a collection. */
  collected_at: Generated<Date>;
}

/** `usage_collection_runs`: one row per usage collection run (see the 0002 migration). */
export interface UsageCollectionRunsTable {
  id: string;
  window_from: Timestamp;
  window_to: Timestamp;
  /** `running`, `succeeded`, `partial` (some calls failed) or `failed`. */
  status: string;
  projects: number;
  calls: number;
  rows_written: number;
  errors: Json<unknown>;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
}

/** `budgets`: a team's monthly budget (see the 0003 migration). */
export interface BudgetsTable {
  team_id: string;
  unit: ColumnType<'usd' | 'cu_hours', 'usd' | 'cu_hours', 'usd' | 'cu_hours'>;
  amount: number;
  /** Percentages, ascending (e.g. `[50, 80, 100]`). */
  thresholds: Json<number[]>;
  enforce: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `quota_policies`: what the quota sweep may do for a team (see the 0003 migration). */
export interface QuotaPoliciesTable {
  team_id: string;
  mode: ColumnType<'dry_run' | 'act', 'dry_run' | 'act', 'dry_run' | 'act'>;
  idle_hours: number;
  branch_limit_ratio: number;
  /** Branch-name patterns of the team's scratch branches (see the 0006 migration). */
  scratch_branches: ColumnType<string[], string | undefined, string>;
  updated_at: Timestamp;
}

/** `quota_findings`: one row per finding of the quota sweeps, keyed per team (see the 0003 migration). */
export interface QuotaFindingsTable {
  team_id: string;
  key: string;
  kind: string;
  project_id: string;
  branch_id: string | null;
  detail: Json<unknown>;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
  resolved_at: NullableTimestamp;
  intent_id: string | null;
}

/** `schedules`: a team's recurring intent (see the 0004 migration). */
export interface SchedulesTable {
  /** `sch_…`, collated "C" (sorts by creation time). */
  id: string;
  team_id: string;
  name: string | null;
  /** 5-field cron pattern (with `timezone`), or null for an interval (`every_ms`). */
  cron: string | null;
  timezone: string | null;
  /** `bigint`: read as a string by `pg`, a number by PGlite; `Number()` it. */
  every_ms: ColumnType<string | number | bigint | null, number | null, number | null>;
  intent_kind: ColumnType<string, IntentKind, IntentKind>;
  intent_params: Json<Record<string, unknown>>;
  paused: boolean;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `schedule_runs`: one row per tick of a schedule (see the 0004 migration). */
export interface ScheduleRunsTable {
  schedule_id: string;
  tick_at: Timestamp;
  team_id: string;
  /** `submitted`, `skipped` or `refused`. */
  status: string;
  intent_id: string | null;
  reason: string | null;
  detail: string | null;
  recorded_at: Timestamp;
}

/** Every table of the durable store. */
export interface Database {
  intent_history: IntentHistoryTable;
  usage_hourly: UsageHourlyTable;
  usage_collection_runs: UsageCollectionRunsTable;
  budgets: BudgetsTable;
  quota_policies: QuotaPoliciesTable;
  quota_findings: QuotaFindingsTable;
  schedules: SchedulesTable;
  schedule_runs: ScheduleRunsTable;
}
