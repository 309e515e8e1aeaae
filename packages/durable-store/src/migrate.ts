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
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) throw new MigrationError(results.find((r) => r.status === 'Error')?.migrationName, { cause: error });
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
