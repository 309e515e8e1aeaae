export { openDatabase, type DurableDatabase, type OpenDatabaseOptions } from './database.js';
export { databaseSchemaSchema, databaseUrlSchema, parseDatabaseUrl, type DatabaseTarget } from './database-url.js';
export { migrateToLatest, MigrationError } from './migrate.js';
export { migrations } from './migrations/index.js';
export { IntentHistory, type ArchivedIntent, type HistoryListQuery, type HistoryWrite, type AuditQuery, type PreviewOfBranch } from './intent-history.js';
export {
  BudgetStore,
  budgetPeriodOf,
  budgetSchema,
  budgetThresholdsSchema,
  budgetUnitSchema,
  DEFAULT_BUDGET_THRESHOLDS,
  type Budget,
  type BudgetInput,
  type BudgetPeriod,
  type BudgetUnit,
} from './budgets.js';
export {
  branchNameMatcher,
  DEFAULT_QUOTA_POLICY,
  QuotaStore,
  quotaFindingKey,
  quotaFindingKindSchema,
  quotaFindingSchema,
  quotaModeSchema,
  quotaPolicySchema,
  type NewQuotaFinding,
  type QuotaFinding,
  type QuotaFindingKind,
  type QuotaMode,
  type QuotaPolicy,
  type QuotaPolicyChange,
} from './quota.js';
export {
  newScheduleId,
  scheduleRunSchema,
  scheduleRunStatusSchema,
  scheduleSchema,
  ScheduleStore,
  type Page,
  type Schedule,
  type ScheduleInput,
  type SchedulePatch,
  type ScheduleRun,
  type ScheduleRunStatus,
} from './schedules/schedule-store.js';
export { PGliteDialect } from './pglite-dialect.js';
export type { Database, IntentHistoryTable, UsageCollectionRunsTable, UsageHourlyTable } from './schema.js';
export {
  emptyUsage,
  USAGE_METRICS,
  UsageStore,
  usageGranularitySchema,
  usageGroupBySchema,
  usageMetricSchema,
  usageMetricsSchema,
  usageRunErrorSchema,
  usageRunSchema,
  usageRunStatusSchema,
  type UsageAggregateQuery,
  type UsageBucket,
  type UsageCursor,
  type UsageGranularity,
  type UsageGroupBy,
  type UsageHourRow,
  type UsageMetric,
  type UsageMetrics,
  type UsageRun,
  type UsageRunError,
  type UsageRunStatus,
  type UsageWriteResult,
} from './usage/usage-store.js';
export {
  addUsage,
  BYTES_PER_GB,
  costLinesSchema,
  costOf,
  costSchema,
  cuHoursOf,
  DEFAULT_PRICES,
  forecastMonth,
  monthBounds,
  monthOf,
  monthToDateSpend,
  parsePriceTable,
  usagePricesEnvSchema,
  priceTableSchema,
  type Cost,
  type Forecast,
  type MonthToDateSpend,
  type PriceTable,
} from './usage/costs.js';
export { DEFAULT_RETENTION, pruneDurableStore, retentionPolicySchema, type PruneOptions, type RetentionPolicy, type RetentionReport } from './retention.js';
