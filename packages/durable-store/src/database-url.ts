import { z } from 'zod';

/** Where a durable store lives, as `openDatabase` reads a URL. */
export type DatabaseTarget = { engine: 'postgres'; url: string } | { engine: 'pglite'; dataDir: string };

/**
 * Reads a database URL: `postgres://…`/`postgresql://…` is a PostgreSQL server;
 * `pglite:memory` an in-memory PGlite; `pglite:<dir>` a PGlite whose files are in `<dir>`
 * (relative to the working directory). Throws on anything else.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { engine: 'postgres', url };
  if (url.startsWith('pglite:') && url.length > 'pglite:'.length) return { engine: 'pglite', dataDir: url.slice('pglite:'.length) };
  throw new Error('a database URL is postgres://…, postgresql://…, pglite:<dir> or pglite:memory');
}

/**
 * `DATABASE_URL` as the processes' config schemas take it (the API's and the worker's parse
 * it with this one schema). The message never repeats the value: it may hold a password.
 */
export const databaseUrlSchema = z.string().refine((url) => {
  try {
    parseDatabaseUrl(url);
    return true;
  } catch {
    return false;
  }
}, 'expected postgres://…, postgresql://…, pglite:<dir> or pglite:memory');

/** `DATABASE_SCHEMA`: a plain PostgreSQL identifier (letters, digits, `_`), at most 63 bytes. */
export const databaseSchemaSchema = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'a plain identifier: letters, digits and _');
