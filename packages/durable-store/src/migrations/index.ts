import type { Migration, MigrationProvider } from 'kysely';
import { intentHistory } from './0001-intent-history.js';
import { usage } from './0002-usage.js';
import { budgets } from './0003-budgets.js';
import { schedules } from './0004-schedules.js';
import { audit } from './0005-audit.js';
import { scratchBranches } from './0006-scratch-branches.js';

/**
 * Every migration, by name; Kysely runs them in the names' order and records each one it
 * ran. Names are `NNNN-what`: a new migration takes the next number and is never renamed or
 * edited once released (Kysely refuses to run when a recorded migration is missing).
 *
 * A static list rather than Kysely's `FileMigrationProvider`: the packages run from
 * TypeScript source under tsx, and an import map checked by the compiler cannot miss a file.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001-intent-history': intentHistory,
  '0002-usage': usage,
  '0003-budgets': budgets,
  '0004-schedules': schedules,
  '0005-audit': audit,
  '0006-scratch-branches': scratchBranches,
};

/** The provider `Migrator` reads {@link migrations} through. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};
