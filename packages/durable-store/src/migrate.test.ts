import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from './migrate.js';
import { migrations } from './migrations/index.js';
import { openTestDatabase } from './test/open-test-database.js';

describe('migrateToLatest', () => {
  it('brings an empty schema up to date, and finds nothing to do after a restart', async () => {
    const { database, reopen } = await openTestDatabase('migrate');
    expect(await migrateToLatest(database)).toEqual(Object.keys(migrations));
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = ${database.schema} order by table_name`.execute(database.db);
    // Each migration's tables (later migrations add theirs: checked by their own tests).
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['intent_history', 'kysely_migration', 'kysely_migration_lock', 'usage_collection_runs', 'usage_hourly']),
    );
    await database.db.insertInto('intent_history').values({
      id: 'int_0000000000aaaaaaaaaaaaaaaa',
      team_id: 't',
      kind: 'branch.create',
      status: 'failed',
      params: '{}',
      steps: '[]',
      operation_ids: '[]',
      has_secrets: false,
      cancel_requested: false,
      created_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:01.000Z',
      updated_at: '2026-01-01T00:00:01.000Z',
      partial: true,
    }).execute();

    const restarted = await reopen();
    expect(await migrateToLatest(restarted)).toEqual([]);
    expect(await restarted.db.selectFrom('intent_history').select('id').execute()).toEqual([{ id: 'int_0000000000aaaaaaaaaaaaaaaa' }]);
  });

  it('lets several callers migrate at once: one runs each migration, the others find nothing to do', async () => {
    const { database } = await openTestDatabase('migrate');
    const runs = await Promise.all([migrateToLatest(database), migrateToLatest(database), migrateToLatest(database)]);
    expect(runs.flat()).toEqual(Object.keys(migrations));
  });

  it('keeps its tables in its own schema: another schema sees none of them', async () => {
    const { database: a } = await openTestDatabase('schema-a');
    const { database: b } = await openTestDatabase('schema-b');
    await migrateToLatest(a);
    await expect(b.db.selectFrom('intent_history').select('id').execute()).rejects.toThrow(/intent_history/);
  });

  it('migrates while other schemas of the database are created and dropped (tests or other applications sharing it)', async (ctx) => {
    const { database } = await openTestDatabase('migrate-churn');
    // PGlite is one process's database: nobody else can drop a schema during the migration.
    if (database.engine === 'pglite') ctx.skip();
    const churn = async (round: number) => {
      const other = `${database.schema}_x${round}`;
      await sql`create schema ${sql.id(other)}`.execute(database.db);
      await sql`create table ${sql.id(other, 't')} (id serial primary key, v text)`.execute(database.db);
      await sql`drop schema ${sql.id(other)} cascade`.execute(database.db);
    };
    // Kysely's migrator introspects every schema; a schema dropped meanwhile made it fail with 3F000.
    const churning = (async () => {
      for (let round = 0; round < 20; round++) await churn(round);
    })();
    const runs: string[][] = [];
    try {
      for (let i = 0; i < 10; i++) runs.push(await migrateToLatest(database));
    } finally {
      await churning;
    }
    expect(runs.flat()).toEqual(Object.keys(migrations));
  });
});
