import { UsageStore, type DurableDatabase } from '@neonops/durable-store';
import { ProjectOwnership } from '@neonops/intents';
import { createNeonClient, type RateBudget } from '@neonops/neon-client';
import type { TeamsSource } from '@neonops/teams';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkerConfig } from '../config.js';
import { servedProjects, startUsageCollector, type UsageCollector } from './index.js';

export interface WorkerUsageDeps {
  connection: () => Redis;
  redis: Redis;
  keyPrefix: string;
  database: DurableDatabase;
  logger: Logger;
  neon: WorkerConfig['neon'];
  /** The worker's shared Neon rate budget: collection calls count against the same account limits. */
  rateBudget: RateBudget;
  usage: WorkerConfig['usage'];
  /** The teams, read at each run (teams file and managed teams): their projects and (through Redis ownership) those their intents made. */
  teams: TeamsSource;
}

/**
 * The worker's usage collection: its own Neon client (the shared rate budget; two attempts
 * per call, so a 429 ends the run and the next tick collects the window again), the projects
 * of the teams' own and those their intents made. Undefined (warned) without an
 * organization id against Neon.
 */
export async function startWorkerUsage(deps: WorkerUsageDeps): Promise<UsageCollector | undefined> {
  const orgId = deps.usage.orgId;
  if (orgId === undefined) {
    deps.logger.warn('NEON_ORG_ID is not set: usage is not collected (Neon\u2019s consumption routes need the organization id)');
    return undefined;
  }
  const neon = createNeonClient({
    apiKey: deps.neon.apiKey,
    baseUrl: deps.neon.baseUrl,
    rateBudget: deps.rateBudget,
    retry: { maxAttempts: 2, baseDelayMs: 1000, maxDelayMs: 10_000, maxElapsedMs: 30_000 },
    timeoutMs: 30_000,
    userAgent: '@neonops/worker usage',
  });
  return startUsageCollector({
    connection: deps.connection,
    keyPrefix: deps.keyPrefix,
    logger: deps.logger,
    neon,
    store: new UsageStore(deps.database),
    orgId,
    projects: servedProjects(() => deps.teams.list(), new ProjectOwnership(deps.redis, { prefix: deps.keyPrefix })),
    schedule: deps.usage.schedule,
    lookbackHours: deps.usage.lookbackHours,
  });
}
