import type { Kysely, Migration } from 'kysely';

/**
 * Who submitted each intent, for `GET /v1/audit`: `actor_type` (`token`, `source`,
 * `schedule`, `budget`, `quota`) and `actor_id` (a token's id — never its secret —, a
 * source's, a schedule's, a budget period's or a quota finding's key). Null for intents
 * recorded before 0005 and for partial rows (written from the end event alone).
 *
 * The audit pages across teams newest first by `id` (the primary key's index); a team's
 * audit uses `intent_history_team_id_idx`.
 */
export const audit: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations take Kysely<any> (see 0001)
  async up(db: Kysely<any>) {
    await db.schema.alterTable('intent_history').addColumn('actor_type', 'text').addColumn('actor_id', 'text').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.alterTable('intent_history').dropColumn('actor_type').dropColumn('actor_id').execute();
  },
};
