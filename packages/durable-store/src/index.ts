export { openDatabase, type DurableDatabase, type OpenDatabaseOptions } from './database.js';
export { databaseSchemaSchema, databaseUrlSchema, parseDatabaseUrl, type DatabaseTarget } from './database-url.js';
export { migrateToLatest, MigrationError } from './migrate.js';
export { migrations } from './migrations/index.js';
export { IntentHistory, type ArchivedIntent, type HistoryListQuery, type HistoryWrite } from './intent-history.js';
export { PGliteDialect } from './pglite-dialect.js';
export type { Database, IntentHistoryTable } from './schema.js';
