import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `intent_history`: one row per ended intent, written by the worker's `history` consumer of
 * the outbox and read by the API once Redis no longer has the intent. Secrets never come
 * here (they expire with the Redis record).
 *
 * Migrations take `Kysely<any>`, as Kysely advises: they must keep working when the
 * `Database` interface has moved on to later migrations' shape.
 */
export const intentHistory: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('intent_history')
      // Collation "C": byte order, as Redis's lexical index sorts ids; a locale collation may not.
      .addColumn('id', sql`text collate "C"`, (c) => c.primaryKey())
      .addColumn('team_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('params', 'jsonb', (c) => c.notNull())
      .addColumn('steps', 'jsonb', (c) => c.notNull())
      .addColumn('operation_ids', 'jsonb', (c) => c.notNull())
      .addColumn('resources', 'jsonb')
      .addColumn('undo', 'jsonb')
      .addColumn('result', 'jsonb')
      .addColumn('error', 'jsonb')
      .addColumn('has_secrets', 'boolean', (c) => c.notNull())
      .addColumn('cancel_requested', 'boolean', (c) => c.notNull())
      .addColumn('idempotency_key', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('started_at', 'timestamptz')
      .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
      .addColumn('partial', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .execute();
    // A team's intents newest first (GET /v1/intents): an index range scan below the cursor.
    await db.schema.createIndex('intent_history_team_id_idx').on('intent_history').columns(['team_id', 'id']).execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  async down(db: Kysely<any>) {
    await db.schema.dropTable('intent_history').execute();
  },
};
