import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { parseDatabaseUrl } from './database-url.js';
import { PGliteDialect } from './pglite-dialect.js';
import { openPGlite, type OpenPGliteOptions } from './pglite-open.js';
import type { Database } from './schema.js';

export interface OpenDatabaseOptions {
  /**
   * Where the data lives (see `databaseUrlSchema`): `postgres://…` or `postgresql://…` for
   * any PostgreSQL (Neon included, with the `?sslmode=require` Neon gives), `pglite:<dir>`
   * for an embedded PGlite keeping its files in `<dir>` (one process at a time), or
   * `pglite:memory` for an embedded PGlite in memory (gone at `close`).
   */
  url: string;
  /** Schema of every table and of Kysely's migration bookkeeping; created by the migrations. Default `public`. */
  schema?: string;
  /** Most connections the pool opens (PostgreSQL only; PGlite is one session). Default `10`. */
  maxConnections?: number;
  /** How long a query waits for a connection, in ms (PostgreSQL only). Default `5000`. */
  connectTimeoutMs?: number;
  /**
   * Longest a query may take, in ms, measured by the client (PostgreSQL only): a server that
   * stopped answering fails the query instead of holding its caller. Client side, because
   * poolers such as Neon's refuse a `statement_timeout` startup parameter. Default `10000`.
   */
  queryTimeoutMs?: number;
  /**
   * Errors of idle pooled connections (the server restarted or dropped them); the pool
   * replaces them. Without a listener `pg` would crash the process. Default: ignored.
   */
  onIdleError?: (error: Error) => void;
  /** Where a fresh PGlite's snapshot is kept, or `false` for none (PGlite only; see `openPGlite`). Default: the OS temporary directory. */
  pgliteSnapshotDir?: OpenPGliteOptions['snapshotDir'];
}

/** An open durable store: Kysely bound to its schema, and how to close it. */
export interface DurableDatabase {
  /** Typed queries; every table reference goes to `schema` (Kysely's `withSchema`). */
  readonly db: Kysely<Database>;
  readonly engine: 'postgres' | 'pglite';
  readonly schema: string;
  /** Closes the pool (PostgreSQL) or the embedded database (PGlite). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the durable store at `options.url`. Nothing is migrated here (see
 * `migrateToLatest`); a PostgreSQL is not even contacted until the first query, so a
 * process can start while its database is away. PGlite starts at once (a new database takes
 * about 2 s, 10 s the first time on a machine: see `openPGlite`).
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DurableDatabase> {
  const target = parseDatabaseUrl(options.url);
  const schema = options.schema ?? 'public';
  if (target.engine === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 10_000,
      application_name: 'neonops',
    });
    pool.on('error', (error) => options.onIdleError?.(error));
    const root = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return bind(root, 'postgres', schema, () => root.destroy());
  }
  const pglite = await openPGlite(target.dataDir === 'memory' ? undefined : target.dataDir, {
    ...(options.pgliteSnapshotDir === undefined ? {} : { snapshotDir: options.pgliteSnapshotDir }),
  });
  const root = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return bind(root, 'pglite', schema, async () => {
    await root.destroy();
    await pglite.close();
  });
}

function bind(root: Kysely<Database>, engine: DurableDatabase['engine'], schema: string, close: () => Promise<void>): DurableDatabase {
  let closing: Promise<void> | undefined;
  return {
    db: root.withSchema(schema),
    engine,
    schema,
    close: () => (closing ??= close()),
  };
}
