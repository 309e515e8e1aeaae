import { databaseSchemaSchema, databaseUrlSchema } from '@neonops/durable-store';
import { redisUrlSchema } from '@neonops/intents';
import { z } from 'zod';

/**
 * Settings of `pnpm start` itself. The API and the worker parse the rest of the
 * environment with their own schemas; the stack only fills in what it provides
 * (the simulator's URL and key, a shared SECRETS_KEY, the ports).
 */
export const stackConfigSchema = z.object({
  /** API port. Default `3000`; `0` picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Simulator port when no `NEON_API_KEY` is set. Default `4010`; `0` picks a free one. */
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  /** Simulated Neon operations: scheduling and running time in ms. Defaults `500` and `2500` (like Neon). */
  SIM_SCHEDULING_MS: z.coerce.number().int().min(0).default(500),
  SIM_RUNNING_MS: z.coerce.number().int().min(0).default(2500),
  /** A real Neon API key: when set, no simulator starts and the service talks to Neon. */
  NEON_API_KEY: z.string().min(1).optional(),
  /** Redis for queues and records. Default `redis://127.0.0.1:6379`. */
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
  /** Seals secrets at rest. Default: a random key for this run (sealed results do not survive a restart). */
  SECRETS_KEY: z.string().min(1).optional(),
  /**
   * The durable intent history, shared by the stack's API and worker: `postgres://…`, or
   * `pglite:<dir>` to keep it across restarts. Default `pglite:memory` (gone when the stack stops).
   */
  DATABASE_URL: databaseUrlSchema.default('pglite:memory'),
  /** Schema of the history's tables. Default `public`. */
  DATABASE_SCHEMA: databaseSchemaSchema.default('public'),
});

export type StackConfig = z.infer<typeof stackConfigSchema>;

export function loadStackConfig(env: Record<string, string | undefined>): StackConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return stackConfigSchema.parse(cleaned);
}
