import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `budgets`: one monthly budget per team (money in USD or CU-hours), its thresholds and
 * whether reaching 100 % suspends the team's computes. Written by `PUT /v1/budgets`, read
 * by the worker's budget watch.
 *
 * `quota_policies`: what the quota sweep may do for a team (dry-run unless the team said
 * `act`) and its limits. `quota_findings`: what the sweeps found, one row per (team,
 * finding key) — the key names the finding (kind, project, branch), so a finding seen at
 * every sweep stays one row, and `intent_id` records the one action taken for it.
 *
 * Which thresholds were already announced is not kept here: that mark lives in Redis, in
 * the same Lua script as the outbox entry that announces it (see the worker's budget
 * watch), so the two cannot disagree after a crash.
 */
export const budgets: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any> (see 0001)
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('budgets')
      .addColumn('team_id', 'text', (c) => c.primaryKey())
      .addColumn('unit', 'text', (c) => c.notNull().check(sql`unit in ('usd', 'cu_hours')`))
      .addColumn('amount', 'double precision', (c) => c.notNull().check(sql`amount > 0`))
      .addColumn('thresholds', 'jsonb', (c) => c.notNull())
      .addColumn('enforce', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('quota_policies')
      .addColumn('team_id', 'text', (c) => c.primaryKey())
      .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('dry_run', 'act')`))
      .addColumn('idle_hours', 'integer', (c) => c.notNull())
      .addColumn('branch_limit_ratio', 'double precision', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('quota_findings')
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('project_id', 'text', (c) => c.notNull())
      .addColumn('branch_id', 'text')
      .addColumn('detail', 'jsonb', (c) => c.notNull())
      .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
      .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
      .addColumn('resolved_at', 'timestamptz')
      .addColumn('intent_id', 'text')
      .addPrimaryKeyConstraint('quota_findings_pkey', ['team_id', 'key'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.dropTable('quota_findings').execute();
    await db.schema.dropTable('quota_policies').execute();
    await db.schema.dropTable('budgets').execute();
  },
};
