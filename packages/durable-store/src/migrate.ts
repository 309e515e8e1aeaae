import { Migrator } from 'kysely';
import type { DurableDatabase } from './database.js';
import { migrationProvider } from './migrations/index.js';

/** The migrations could not be brought up to date; `cause` is the first failure. */
export class MigrationError extends Error {
  readonly code = 'migration_failed';
  constructor(
    readonly migrationName: string | undefined,
    options: { cause: unknown },
  ) {
    super(`durable store migration ${migrationName ? `${migrationName} ` : ''}failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`, options);
    this.name = 'MigrationError';
  }
}

/**
 * Runs every migration not yet run in `database.schema` (creating the schema first), in one
 * transaction under Kysely's migration lock (a PostgreSQL advisory lock), so any number of
 * processes may call it at start: one migrates, the others then find nothing to do.
 * Returns the names of the migrations this call ran.
 */
export async function migrateToLatest(database: DurableDatabase): Promise<string[]> {
  const migrator = new Migrator({ db: database.db, provider: migrationProvider, migrationTableSchema: database.schema });
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error === undefined) return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (attempt < MAX_ATTEMPTS && anotherSchemaVanished(error, database.schema)) {
      // A moment apart, so that a burst of drops (a test run's teardown) has passed.
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      continue;
    }
    throw new MigrationError(results.find((r) => r.status === 'Error')?.migrationName, { cause: error });
  }
}

const MAX_ATTEMPTS = 20;

/**
 * Kysely's migrator looks for its own tables by introspecting every schema of the database
 * (`pg_catalog` joined with `has_schema_privilege(nspname, …)`), which fails with `3F000`
 * when another schema is dropped during the query — another test's, or another application's
 * sharing the database. Nothing was migrated yet at that point (the lock is taken after), so
 * the call is simply made again.
 */
function anotherSchemaVanished(error: unknown, ours: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === '3F000' && typeof message === 'string' && !message.includes(`"${ours}"`);
}
