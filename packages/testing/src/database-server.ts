import pg from 'pg';

/** The database the tests use: a PostgreSQL server, or an embedded PGlite per store. */
export interface TestDatabaseServer {
  /** `postgres://…` of a server, or `pglite:memory` (each store opened on it gets its own). */
  url: string;
  /** Where it came from, for the test log. */
  source: 'DATABASE_URL' | 'localhost' | 'pglite';
}

/** The machine's own PostgreSQL, as Debian and CI machines set it up (trust auth, a `test` database). */
export const LOCAL_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** The URL that tells a durable store to run on an in-memory PGlite. */
export const PGLITE_MEMORY_URL = 'pglite:memory';

/** Answers whether a PostgreSQL at `url` runs `SELECT 1` within `timeoutMs`. */
export async function postgresAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A server that goes away later must not crash the probe's process.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Finds the database for the tests, in this order:
 * 1. `DATABASE_URL` when set: a `postgres://` URL must answer; any `pglite:…` means PGlite in
 *    memory (never a data directory: tests run in parallel, and it may hold someone's data);
 * 2. the machine's PostgreSQL at 127.0.0.1:5432, database `test`, user `postgres`;
 * 3. PGlite in memory, so the tests need nothing installed.
 */
export async function findTestDatabase(env: NodeJS.ProcessEnv = process.env): Promise<TestDatabaseServer> {
  const fromEnv = env.DATABASE_URL;
  if (fromEnv) {
    if (fromEnv.startsWith('pglite:')) return { url: PGLITE_MEMORY_URL, source: 'DATABASE_URL' };
    if (!(await postgresAnswers(fromEnv, 3000))) throw new Error('DATABASE_URL is set but no PostgreSQL answers there');
    return { url: fromEnv, source: 'DATABASE_URL' };
  }
  if (await postgresAnswers(LOCAL_TEST_DATABASE_URL, 1000)) return { url: LOCAL_TEST_DATABASE_URL, source: 'localhost' };
  return { url: PGLITE_MEMORY_URL, source: 'pglite' };
}
