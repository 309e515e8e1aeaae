import { bullPrefix, closeWorker, handshaken, type ProjectOwnership } from '@neonops/intents';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { collectionWindow, collectUsage, type CollectDeps, type CollectReport, type ProjectSource, type ServedProject } from './collect.js';

export { collectionWindow, collectUsage, BRANCH_METRICS, PROJECTS_PER_CALL, type CollectDeps, type CollectReport, type CollectWindow, type ProjectSource, type ServedProject } from './collect.js';

/** The queue of the usage collection (its own, so a long collection never delays the sweeper). */
export const USAGE_QUEUE = 'usage';
/** The job scheduler id of the usage collection. */
export const USAGE_SCHEDULER_ID = 'usage-collect';

export interface UsageCollectorDeps extends CollectDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  keyPrefix: string;
  logger: Logger;
  /** The schedule: `{ every: ms }` or `{ pattern: '<5-field cron>', tz? }`. Default `{ every: 3600000 }` (hourly). */
  schedule?: { every: number } | { pattern: string; tz?: string };
  /** Whole hours before the current one collected again at each run (late data). Default 24; at most 167 (Neon's hourly retention). */
  lookbackHours?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** Called after each run (tests, metrics). */
  onRun?: (report: CollectReport) => void;
}

export interface UsageCollector {
  /** Runs a collection now, outside the schedule (tests, an operator); `runId` defaults to a new one. */
  collectNow(runId?: string): Promise<CollectReport>;
  close(): Promise<void>;
}

/**
 * The usage collection as a BullMQ job scheduler on the `usage` queue: every worker process
 * upserts the same scheduler (idempotent) and runs a worker for the queue, so each tick runs
 * once per deployment whatever the number of processes, and the schedule survives restarts
 * (it lives in Redis). A tick whose process died is taken over by another worker after the
 * job's lock expires (stalled job) and re-collects the same window: writes are idempotent.
 * A failed run is not retried (attempts 1): the next tick collects the window again.
 */
export async function startUsageCollector(deps: UsageCollectorDeps): Promise<UsageCollector> {
  const prefix = bullPrefix(deps.keyPrefix);
  const now = deps.now ?? (() => new Date());
  const queue = new Queue(USAGE_QUEUE, { connection: deps.connection(), prefix });
  const run = async (runId: string): Promise<CollectReport> => {
    const report = await collectUsage(deps, runId, collectionWindow(now(), deps.lookbackHours ?? 24), now);
    const log = report.status === 'succeeded' ? deps.logger.info.bind(deps.logger) : deps.logger.warn.bind(deps.logger);
    log(
      { runId, window: report.window, status: report.status, projects: report.projects, calls: report.calls, rowsWritten: report.rowsWritten, errors: report.errors.map((e) => ({ endpoint: e.endpoint, status: e.status, code: e.code, requestId: e.requestId })) },
      'usage collection run',
    );
    deps.onRun?.(report);
    return report;
  };
  await queue.upsertJobScheduler(USAGE_SCHEDULER_ID, deps.schedule ?? { every: 3_600_000 }, {
    name: 'collect-usage',
    opts: { removeOnComplete: { count: 24 }, removeOnFail: { count: 100 }, attempts: 1 },
  });
  const worker = new Worker(
    USAGE_QUEUE,
    async (job) => {
      if (job.name === 'collect-usage') return summary(await run(`usage_${job.id ?? job.timestamp}`));
      deps.logger.warn({ job: job.name }, 'unknown usage job; ignored');
      return undefined;
    },
    { connection: deps.connection(), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.logger.error({ job: job?.name, err: { message: err.message } }, 'usage collection failed'));
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'usage worker error'));
  let manual = 0;
  await handshaken(worker, queue);
  return {
    collectNow: (runId) => run(runId ?? `usage_manual_${now().getTime()}_${++manual}`),
    async close() {
      await closeWorker(worker);
      await queue.close();
    },
  };
}

/** What a job keeps as its return value (no per-project detail). */
function summary(report: CollectReport) {
  return { status: report.status, projects: report.projects, calls: report.calls, rowsWritten: report.rowsWritten, errors: report.errors.length };
}

/**
 * The projects the deployment serves: each team's projects from the teams file, and those
 * its `project.create` intents made (Redis project ownership). A project both in the file and
 * in Redis is the file's team's.
 */
export function servedProjects(
  teams: () => ReadonlyArray<{ id: string; projects: readonly string[] }> | Promise<ReadonlyArray<{ id: string; projects: readonly string[] }>>,
  ownership: ProjectOwnership,
): ProjectSource {
  return async () => {
    const out = new Map<string, ServedProject>();
    const list = await teams();
    for (const team of list) for (const projectId of team.projects) out.set(projectId, { projectId, teamId: team.id });
    for (const team of list) {
      for (const projectId of await ownership.projectsOf(team.id)) if (!out.has(projectId)) out.set(projectId, { projectId, teamId: team.id });
    }
    return [...out.values()];
  };
}
