import { randomUUID } from 'node:crypto';
import { loadStackConfig, redisAnswers, startStack, type RunningStack } from '@neonops/stack';

/**
 * Starts the stack a demo tells its story against (Neon simulator, worker, API): webhooks may
 * go to 127.0.0.1, retries come quickly, the services only log what is wrong, and the keys
 * live under a prefix of their own (deleted when the stack closes) unless `KEY_PREFIX` is set.
 * Fails with a clear message when no Redis answers.
 */
export async function startDemoStack(redisUrl: string, baseEnv: Record<string, string | undefined>): Promise<RunningStack> {
  if (!(await redisAnswers(redisUrl))) {
    throw new Error(`No Redis answers at ${new URL(redisUrl).host}; start one (redis-server --daemonize yes) or set REDIS_URL`);
  }
  const ownPrefix = baseEnv.KEY_PREFIX === undefined;
  const env = {
    ...baseEnv,
    PORT: '0',
    SIM_PORT: '0',
    KEY_PREFIX: baseEnv.KEY_PREFIX ?? `demo:${randomUUID().slice(0, 8)}:`,
    WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_SCHEDULE: '0,1000,5000,30000',
    // The story is told on stdout; the services only speak up when something is wrong.
    LOG_LEVEL: baseEnv.LOG_LEVEL ?? 'warn',
  };
  return startStack(loadStackConfig(env), { env, deleteKeysOnClose: ownPrefix });
}
