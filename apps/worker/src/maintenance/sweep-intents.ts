import { intentJobId, intentJobOptions, isTerminalStatus, trimOutbox, type IntentJobData, type IntentRecord, type IntentStore } from '@neonops/intents';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { FailureCodes } from '../errors.js';

export interface SweepDeps {
  store: IntentStore;
  /** The `intents` queue (to look jobs up and re-add missing ones). */
  queue: Queue<IntentJobData>;
  /** A command connection (job look-ups, outbox trimming). */
  redis: Redis;
  logger: Logger;
  /**
   * Intents younger than this (ms) are left alone: their submit may still be adding the
   * job. Default 10000 (the API gives up adding a job after 3 s).
   */
  graceMs?: number;
  /** Intents looked at per round trip. Default 200. */
  pageSize?: number;
  now?: () => number;
}

/** What one sweep did. */
export interface SweepReport {
  /** Active intents looked at. */
  checked: number;
  /** Queued intents whose job was missing, now queued. */
  requeued: number;
  /** Running or waiting intents whose job was gone or ended, now failed with `worker_lost`. */
  lost: number;
  /** Active-index entries whose record was gone, now forgotten (their cap slot freed). */
  orphans: number;
  /** Outbox entries trimmed (handled by every consumer group). */
  trimmed: number;
}

/**
 * One sweep over every unfinished intent, so that each is eventually run or ended whatever
 * happened around it:
 * - `queued` with no job (the submit was cut short between storing and queueing): the job
 *   is added (job id = intent id, so a job added meanwhile is not duplicated);
 * - `running`/`waiting` whose job is gone, failed or completed (stalled too often, removed
 *   by hand): the intent fails with `worker_lost` — its event goes through the outbox like
 *   any other end;
 * - an index entry without a record: forgotten.
 * Then the outbox is trimmed to what every consumer group has handled.
 */
export async function sweepIntents(deps: SweepDeps): Promise<SweepReport> {
  const now = deps.now ?? Date.now;
  const report: SweepReport = { checked: 0, requeued: 0, lost: 0, orphans: 0, trimmed: 0 };
  const createdBefore = new Date(now() - (deps.graceMs ?? 10_000));
  const pageSize = deps.pageSize ?? 200;
  const { queue, store } = deps;
  for (let after: Awaited<ReturnType<IntentStore['listActive']>>[number] | undefined; ; ) {
    const refs = await store.listActive({ createdBefore, limit: pageSize, ...(after ? { after } : {}) });
    if (refs.length === 0) break;
    after = refs[refs.length - 1];
    report.checked += refs.length;
    // Most intents have a live job (running, or delayed while Neon works): only the others
    // are read, so a sweep over 10,000 parked intents costs one pipeline, not 10,000 records.
    const jobStates = await jobStatesOf(deps.redis, queue, refs.map((r) => intentJobId(r.intentId)));
    const suspects = refs.flatMap((ref, i) => (jobStates[i] === 'live' ? [] : [{ ref, job: jobStates[i] ?? 'missing' }]));
    const records = await store.getMany(suspects.map((s) => s.ref.intentId));
    for (const [i, { ref, job }] of suspects.entries()) {
      const record = records[i];
      if (!record || isTerminalStatus(record.status)) {
        if (!record) report.orphans++;
        await store.forgetActive(ref);
        continue;
      }
      if (record.status === 'queued' && job === 'missing') {
        await queue.add(record.kind, { intentId: record.id, teamId: record.teamId, kind: record.kind }, { ...intentJobOptions, jobId: intentJobId(record.id) });
        report.requeued++;
        deps.logger.warn({ intentId: record.id }, 'queued intent had no job (its submit was cut short); queued it');
      } else if (await failLost(store, record, job)) {
        report.lost++;
      }
    }
    if (refs.length < pageSize) break;
  }
  report.trimmed = await trimOutbox(deps.redis, store.outboxKey);
  if (report.requeued + report.lost + report.orphans > 0) deps.logger.info({ ...report }, 'intent sweep repaired intents');
  return report;
}

type JobState = 'live' | 'ended' | 'missing';

/** Whether each job exists and is still live (not completed or failed), in one round trip. */
async function jobStatesOf(redis: Redis, queue: Queue<IntentJobData>, jobIds: string[]): Promise<JobState[]> {
  const pipeline = redis.pipeline();
  for (const id of jobIds) {
    pipeline.exists(queue.toKey(id));
    pipeline.zscore(queue.keys.completed ?? queue.toKey('completed'), id);
    pipeline.zscore(queue.keys.failed ?? queue.toKey('failed'), id);
  }
  const replies = (await pipeline.exec()) ?? [];
  return jobIds.map((_, i) => {
    const [exists, completed, failed] = [0, 1, 2].map((k) => replies[i * 3 + k]?.[1]);
    if (exists !== 1) return 'missing';
    return completed !== null || failed !== null ? 'ended' : 'live';
  });
}

async function failLost(store: IntentStore, record: IntentRecord, job: Exclude<JobState, 'live'>): Promise<boolean> {
  const message = job === 'missing' ? 'The intent’s job is gone (removed or expired)' : 'The intent’s job ended without finishing it (its worker was lost)';
  return store.finish(record.id, 'failed', { error: { code: FailureCodes.workerLost, message } }, { owner: record });
}
