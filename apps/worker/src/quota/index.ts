import { IntentHistory, QuotaStore, type DurableDatabase } from '@neonops/durable-store';
import { bullPrefix, closeWorker, handshaken, IntentRights, INTENTS_QUEUE, IntentSubmitter, type IntentJobData, type IntentStore } from '@neonops/intents';
import type { NeonClient } from '@neonops/neon-client';
import type { Team, TeamsSource } from '@neonops/teams';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { runQuotaSweep, type TeamQuotaSweep } from './sweep.js';

/** The queue of the quota sweep's ticks (a BullMQ job scheduler). */
export const QUOTA_QUEUE = 'quota';
/** The job scheduler id of the quota sweep. */
export const QUOTA_SWEEP_SCHEDULER_ID = 'quota-sweep';

export interface WorkerQuotaDeps {
  /** Makes a BullMQ connection (`maxRetriesPerRequest: null`). */
  connection: () => Redis;
  /** A command connection. */
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  database: DurableDatabase;
  neon: NeonClient;
  logger: Logger;
  /** The teams (teams file and managed teams), read at each sweep: the teams swept and their rights. */
  teams: TeamsSource;
  /** How often the sweep runs, in ms (`QUOTA_SWEEP_INTERVAL_MS`). */
  intervalMs: number;
  /** The plan's branch limit per project (`QUOTA_BRANCH_LIMIT`). */
  branchLimit: number;
  /** Called after each sweep (tests, metrics). */
  onSweep?: (report: TeamQuotaSweep[]) => void;
}

export interface WorkerQuota {
  /** Runs a sweep now, outside the schedule (tests, an operator). */
  sweepNow(): Promise<TeamQuotaSweep[]>;
  close(): Promise<void>;
}

/**
 * The quota sweep as a BullMQ job scheduler on the `quota` queue (once per deployment,
 * whatever the number of workers; survives restarts). Each sweep reads the teams again,
 * then runs `runQuotaSweep`: findings in the durable store, deletions (policy `act` only)
 * through the shared submit path.
 */
export async function startWorkerQuota(deps: WorkerQuotaDeps): Promise<WorkerQuota> {
  const prefix = bullPrefix(deps.keyPrefix);
  const queue = new Queue(QUOTA_QUEUE, { connection: deps.connection(), prefix });
  const intents = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: deps.connection(), prefix });
  let teams: readonly Team[] = [];
  const rights = new IntentRights(deps.redis, { prefix: deps.keyPrefix, allTeams: () => teams });
  const submitter = new IntentSubmitter({ store: deps.store, queue: intents, rights });
  const quota = new QuotaStore(deps.database);
  const history = new IntentHistory(deps.database);
  const sweep = async (): Promise<TeamQuotaSweep[]> => {
    teams = await deps.teams.list();
    const report = await runQuotaSweep({
      quota,
      teams: () => teams,
      projectsOf: (team) => rights.projectsOf(team),
      neon: deps.neon,
      intents: deps.store,
      history,
      submitter,
      branchLimit: deps.branchLimit,
      logger: deps.logger,
    });
    deps.onSweep?.(report);
    return report;
  };
  await queue.upsertJobScheduler(
    QUOTA_SWEEP_SCHEDULER_ID,
    { every: deps.intervalMs },
    { name: 'quota-sweep', opts: { removeOnComplete: { count: 10 }, removeOnFail: { count: 100 } } },
  );
  const worker = new Worker(
    QUOTA_QUEUE,
    async (job) => {
      if (job.name !== 'quota-sweep') {
        deps.logger.warn({ job: job.name }, 'unknown quota job; ignored');
        return undefined;
      }
      const report = await sweep();
      return { teams: report.length, findings: report.reduce((n, r) => n + r.findings.length, 0), submitted: report.reduce((n, r) => n + Object.keys(r.submitted).length, 0) };
    },
    { connection: deps.connection(), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, err) => deps.logger.error({ job: job?.name, err: { message: err.message } }, 'quota sweep failed'));
  worker.on('error', (err) => deps.logger.error({ err: { message: err.message } }, 'quota worker error'));
  await handshaken(worker, queue, intents);
  return {
    sweepNow: sweep,
    async close() {
      await closeWorker(worker);
      await Promise.all([queue.close(), intents.close()]);
    },
  };
}
