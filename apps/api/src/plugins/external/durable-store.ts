import { IntentHistory, migrateToLatest, openDatabase, type DurableDatabase } from '@neonops/durable-store';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The durable intent history (PostgreSQL), or undefined when none is configured (Redis only). */
    intentHistory: IntentHistory | undefined;
    /** The durable store itself (budgets, quota), or undefined when none is configured. */
    durableDatabase: DurableDatabase | undefined;
  }
}

export interface DurableStorePluginOptions {
  /**
   * Where the history lives: settings to open it (closed with the app), an open database the
   * caller owns (`pnpm start` shares one with its worker), or nothing (Redis only).
   */
  database?: { url: string; schema?: string } | { database: DurableDatabase } | undefined;
  /**
   * How long the app waits at start for the migrations, in ms; past it (or on an error) it
   * starts anyway and serves what Redis can answer. Default `5000`.
   */
  migrateTimeoutMs?: number;
  /**
   * How long a request waits for PostgreSQL, in ms (a connection, then the query); past it
   * the request is answered as in an outage. Default `2000`.
   */
  queryTimeoutMs?: number;
}

/**
 * The durable store (external tier): opens PostgreSQL or PGlite and runs its migrations at
 * start. A database that is away must not stop the API: the migrations are given
 * `migrateTimeoutMs` and then left to the workers (which run them too), and queries fail
 * within `queryTimeoutMs`, so routes can still answer from Redis.
 */
export default fp<DurableStorePluginOptions>(
  async (fastify, options) => {
    const given = options.database;
    if (given === undefined) {
      fastify.decorate('intentHistory', undefined);
      fastify.decorate('durableDatabase', undefined);
      return;
    }
    const timeoutMs = options.queryTimeoutMs ?? 2000;
    let database: DurableDatabase;
    if ('database' in given) {
      database = given.database;
    } else {
      database = await openDatabase({
        url: given.url,
        ...(given.schema === undefined ? {} : { schema: given.schema }),
        connectTimeoutMs: timeoutMs,
        queryTimeoutMs: timeoutMs,
        onIdleError: (error) => fastify.log.warn({ err: { message: error.message } }, 'database connection error'),
      });
      fastify.addHook('onClose', () => database.close());
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${options.migrateTimeoutMs ?? 5000} ms`)), options.migrateTimeoutMs ?? 5000);
    });
    try {
      await Promise.race([migrateToLatest(database), deadline]);
    } catch (error) {
      fastify.log.warn(
        { err: { message: error instanceof Error ? error.message : String(error) } },
        'durable store not migrated at start; intents older than Redis retention may be unavailable until it answers',
      );
    } finally {
      clearTimeout(timer);
    }
    fastify.decorate('intentHistory', new IntentHistory(database));
    fastify.decorate('durableDatabase', database);
  },
  { name: 'durable-store' },
);
