import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `quota_policies.scratch_branches`: the branch-name patterns (`*` matches any run of
 * characters) that mark a team's scratch branches — branches made outside this service (in
 * Neon's console, by a developer's script) that the quota sweep may also find idle. A JSON
 * array of strings; `[]` (the default, and every policy set before 0006) means only the
 * branches our intents made.
 */
export const scratchBranches: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any> (see 0001)
  async up(db: Kysely<any>) {
    await db.schema
      .alterTable('quota_policies')
      .addColumn('scratch_branches', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.alterTable('quota_policies').dropColumn('scratch_branches').execute();
  },
};
