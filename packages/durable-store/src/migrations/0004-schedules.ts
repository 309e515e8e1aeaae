import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `schedules`: a team's recurring intent — a cron pattern in a time zone or an interval,
 * the intent (`kind`, `params`) it submits, `paused`, and a `version` bumped by every change.
 * The row is the truth: each one is mirrored by a BullMQ job scheduler (id = schedule id)
 * that the API upserts after writing and the worker's reconcile job re-creates, updates
 * (version in the scheduler's data) or removes when they disagree.
 *
 * `schedule_runs`: one row per tick of a schedule (primary key `(schedule_id, tick_at)`, so a
 * re-delivered tick writes nothing new): `submitted` with the intent id, `skipped` (its
 * previous intent is still active) or `refused` (the team's rights, its cap, an intent the
 * catalog no longer accepts), with the reason. Deleted with their schedule.
 */
export const schedules: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any> (see 0001)
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('schedules')
      // Collation "C": ids sort by creation time byte-wise (cursor pages).
      .addColumn('id', sql`text collate "C"`, (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('cron', 'text')
      .addColumn('timezone', 'text')
      .addColumn('every_ms', 'bigint')
      .addColumn('intent_kind', 'text', (c) => c.notNull())
      .addColumn('intent_params', 'jsonb', (c) => c.notNull())
      .addColumn('paused', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addCheckConstraint('schedules_timing_check', sql`(cron is not null and timezone is not null and every_ms is null) or (cron is null and timezone is null and every_ms > 0)`)
      .execute();
    await db.schema.createIndex('schedules_team_id_idx').on('schedules').columns(['team_id', 'id']).execute();
    await db.schema
      .createTable('schedule_runs')
      .addColumn('schedule_id', sql`text collate "C"`, (c) => c.notNull().references('schedules.id').onDelete('cascade'))
      .addColumn('tick_at', 'timestamptz', (c) => c.notNull())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('submitted', 'skipped', 'refused')`))
      .addColumn('intent_id', 'text')
      .addColumn('reason', 'text')
      .addColumn('detail', 'text')
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .addPrimaryKeyConstraint('schedule_runs_pkey', ['schedule_id', 'tick_at'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.dropTable('schedule_runs').execute();
    await db.schema.dropTable('schedules').execute();
  },
};
