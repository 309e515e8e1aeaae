import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * The vitest config every package uses (its vitest.config.ts re-exports this):
 * one Redis for the whole run, found or started by the testing package's global
 * setup, the run's database (a PostgreSQL that answers, else PGlite; see
 * `findTestDatabase`), and timeouts that suit integration tests against real processes.
 */
export default defineConfig({
  test: {
    globalSetup: [
      fileURLToPath(new URL('./packages/testing/src/redis-global-setup.ts', import.meta.url)),
      fileURLToPath(new URL('./packages/testing/src/database-global-setup.ts', import.meta.url)),
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
