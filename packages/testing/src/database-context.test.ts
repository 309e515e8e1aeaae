import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { useTestDatabase } from './database-context.js';
import { findTestDatabase, postgresAnswers } from './database-server.js';

const runUrl = inject('databaseUrl');
const onPostgres = !runUrl.startsWith('pglite:');

async function schemaExists(url: string, schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
    return rows.length === 1;
  } finally {
    await client.end();
  }
}

describe('useTestDatabase', () => {
  it('hands each test a schema of its own, and PGlite when asked', () => {
    const a = useTestDatabase('a');
    const b = useTestDatabase('a');
    expect(a.schema).not.toBe(b.schema);
    expect(a.schema).toMatch(/^t_a_[0-9a-f]{12}$/);
    expect(a.env).toEqual({ DATABASE_URL: a.url, DATABASE_SCHEMA: a.schema });
    expect(useTestDatabase('x', { engine: 'pglite' })).toMatchObject({ url: 'pglite:memory', engine: 'pglite' });
  });

  let left: string | undefined;
  it.runIf(onPostgres)('drops its schema (and nothing else) when the test finishes', async () => {
    const db = useTestDatabase('drop');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE SCHEMA "${db.schema}"`);
    await client.query(`CREATE TABLE "${db.schema}".t (id int)`);
    await client.end();
    expect(await schemaExists(db.url, db.schema)).toBe(true);
    left = db.schema;
  });

  it.runIf(onPostgres)('(the schema of the test before is gone)', async () => {
    expect(left).toBeDefined();
    expect(await schemaExists(runUrl, left!)).toBe(false);
    expect(await schemaExists(runUrl, 'public')).toBe(true);
  });
});

describe('findTestDatabase', () => {
  it('takes DATABASE_URL, else the local PostgreSQL when it answers, else PGlite', async () => {
    expect(await findTestDatabase({ DATABASE_URL: 'pglite:memory' })).toEqual({ url: 'pglite:memory', source: 'DATABASE_URL' });
    // A PGlite data directory (pnpm start's, say) is never opened by tests.
    expect(await findTestDatabase({ DATABASE_URL: 'pglite:./.data/history' })).toEqual({ url: 'pglite:memory', source: 'DATABASE_URL' });
    await expect(findTestDatabase({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' })).rejects.toThrow(/DATABASE_URL/);
    const found = await findTestDatabase({});
    const local = await postgresAnswers('postgres://postgres@127.0.0.1:5432/test');
    expect(found.source).toBe(local ? 'localhost' : 'pglite');
  });
});
