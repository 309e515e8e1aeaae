// What the global setup hands to the tests through vitest's provide/inject.
declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis the whole run shares (each test still uses its own key prefix). */
    redisUrl: string;
    /** URL of the database the run uses: a PostgreSQL (each test gets a schema of its own) or `pglite:memory`. */
    databaseUrl: string;
  }
}

export {};
