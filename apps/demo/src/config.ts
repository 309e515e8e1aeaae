import { redisUrlSchema } from '@neonops/redis';
import { z } from 'zod';

/**
 * Settings of `pnpm demo`. Without `DEMO_API_URL` the demo starts its own stack (simulator,
 * worker, API) with 127.0.0.1 allowlisted for webhooks; with it, it reuses a running API,
 * which must allowlist 127.0.0.1 itself (`WEBHOOK_ALLOW_CIDRS=127.0.0.1/32`).
 */
export const demoConfigSchema = z.object({
  /** A running API to reuse (e.g. `http://127.0.0.1:3000`). Default: start a stack. */
  DEMO_API_URL: z.url().optional(),
  /** The team token for a reused API (required with `DEMO_API_URL`). */
  DEMO_TOKEN: z.string().min(1).optional(),
  /** A Neon project the team may use, for a reused API (required with `DEMO_API_URL`). */
  DEMO_PROJECT_ID: z.string().min(1).optional(),
  /** Redis for a started stack. Default `redis://127.0.0.1:6379`. */
  REDIS_URL: redisUrlSchema.default('redis://127.0.0.1:6379'),
  /** How long to wait for the intent and its webhook, in ms. Default `120000`. */
  DEMO_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
});
export type DemoConfig = z.infer<typeof demoConfigSchema>;

export function loadDemoConfig(env: Record<string, string | undefined>): DemoConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = demoConfigSchema.parse(cleaned);
  if (config.DEMO_API_URL && (!config.DEMO_TOKEN || !config.DEMO_PROJECT_ID)) {
    throw new Error('DEMO_API_URL needs DEMO_TOKEN and DEMO_PROJECT_ID');
  }
  return config;
}

/** The process environment (the one place it is read). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
