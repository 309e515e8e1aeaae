import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `usage_hourly`: Neon's consumption history per project, branch and hour, as the worker's
 * usage collector read it, with the team it is attributed to. One row per
 * (project_id, branch_id, hour): re-collecting a window upserts, so it is idempotent and late
 * data corrects what was stored. `branch_id` is `''` for the project-level row (metrics Neon
 * reports per project only, or every metric when the plan has no per-branch history).
 *
 * `usage_collection_runs`: one row per collection run (a scheduler tick), with its window,
 * counts and errors (429, endpoint unavailable on the plan), so that failures are reported.
 */
export const usage: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations keep compiling when the schema moves on
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('usage_hourly')
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('branch_id', 'text', (c) => c.notNull())
      .addColumn('hour', 'timestamptz', (c) => c.notNull())
      .addColumn('team_id', 'text')
      .addColumn('source_branch_id', 'text')
      .addColumn('compute_unit_seconds', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('root_branch_bytes_month', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('child_branch_bytes_month', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('instant_restore_bytes_month', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('public_network_transfer_bytes', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('private_network_transfer_bytes', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('extra_branches_month', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('snapshot_storage_bytes_month', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('collected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addPrimaryKeyConstraint('usage_hourly_pkey', ['project_id', 'branch_id', 'hour'])
      .execute();
    // A team's usage over a range (GET /v1/usage, budgets' month-to-date).
    await db.schema.createIndex('usage_hourly_team_hour_idx').on('usage_hourly').columns(['team_id', 'hour']).execute();
    await db.schema.createIndex('usage_hourly_hour_idx').on('usage_hourly').columns(['hour']).execute();

    await db.schema
      .createTable('usage_collection_runs')
      .addColumn('id', sql`text collate "C"`, (c) => c.primaryKey())
      .addColumn('window_from', 'timestamptz', (c) => c.notNull())
      .addColumn('window_to', 'timestamptz', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('projects', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('calls', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('rows_written', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('errors', 'jsonb', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('usage_collection_runs_started_idx').on('usage_collection_runs').columns(['started_at']).execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.dropTable('usage_collection_runs').execute();
    await db.schema.dropTable('usage_hourly').execute();
  },
};
