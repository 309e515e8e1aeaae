import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestDatabase, type UseTestDatabaseOptions } from '@neonops/testing';
import { onTestFinished } from 'vitest';
import { openDatabase, type DurableDatabase } from '../database.js';

export interface TestDatabase {
  database: DurableDatabase;
  /** Opens the same database and schema again, as a restarted process would (closed when the test ends). */
  reopen(): Promise<DurableDatabase>;
}

/**
 * Opens the durable store on the test's own schema (`useTestDatabase`: the run's PostgreSQL,
 * else PGlite) and closes it when the test ends, before the schema is dropped. On PGlite the
 * data lives in a temporary directory (removed afterwards) rather than in memory, so that
 * `reopen` finds it as a restarted process would.
 */
export async function openTestDatabase(label = 'durable', options: UseTestDatabaseOptions = {}): Promise<TestDatabase> {
  const target = useTestDatabase(label, options);
  let url = target.url;
  if (target.engine === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'neonops-pglite-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    url = `pglite:${dir}`;
  }
  const open = async () => {
    const database = await openDatabase({ url, schema: target.schema });
    onTestFinished(() => database.close());
    return database;
  };
  const database = await open();
  return {
    database,
    // PGlite is one process's at a time: the first handle closes before the second opens.
    reopen: async () => {
      if (target.engine === 'pglite') await database.close();
      return open();
    },
  };
}
