import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject, onTestFinished } from 'vitest';
import { PGLITE_MEMORY_URL } from './database-server.js';
import './provided-context.js';

/** One test's share of the database: a URL and a schema of its own. */
export interface TestDatabaseContext {
  /** Open the store with this URL (`postgres://…`, or `pglite:memory`). */
  url: string;
  /** A schema no other test uses; the store creates it (its migrations do) and the helper drops it. */
  schema: string;
  /** Which engine the test runs on. */
  engine: 'postgres' | 'pglite';
  /** The environment variables that point a process's config at this database (`DATABASE_URL`, `DATABASE_SCHEMA`). */
  env: { DATABASE_URL: string; DATABASE_SCHEMA: string };
}

export interface UseTestDatabaseOptions {
  /**
   * `pglite`: run on an in-memory PGlite even when a PostgreSQL answers (a test that keeps
   * the embedded engine covered). Default: the run's database (`inject('databaseUrl')`).
   */
  engine?: 'pglite';
}

/**
 * Gives the running test its own schema on the run's database and drops it (`DROP SCHEMA …
 * CASCADE`, that schema only) when the test finishes. On PGlite there is nothing to drop:
 * the in-memory database ends with the store that opened it. Call it inside a test (or a
 * `beforeEach`); close the stores you open on it in `onTestFinished` hooks registered after
 * this call, so they close before the schema is dropped (vitest runs those hooks last-in,
 * first-out).
 */
export function useTestDatabase(label = 'test', options: UseTestDatabaseOptions = {}): TestDatabaseContext {
  const url = options.engine === 'pglite' ? PGLITE_MEMORY_URL : inject('databaseUrl');
  // Unquoted-identifier safe: lower case letters, digits and `_`, well under 63 bytes.
  const schema = `t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 24)}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const engine = url.startsWith('pglite:') ? 'pglite' : 'postgres';
  if (engine === 'postgres') {
    onTestFinished(async () => {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end().catch(() => undefined);
      }
    });
  }
  return { url, schema, engine, env: { DATABASE_URL: url, DATABASE_SCHEMA: schema } };
}
