import {
  intentCatalog,
  intentJobLockKey,
  JobFenceLostError,
  RedisScript,
  type JobFence,
  isTerminalStatus,
  type IntentError,
  type IntentKind,
  type IntentKindDefinition,
  type IntentRecord,
  type IntentStep,
  type IntentStore,
  type IntentUndo,
  type CreatedResource,
  type ProjectOwnership,
  type PullRequestStates,
  secretContext,
  type SecretBox,
} from '@neonops/intents';
import { NeonNotFoundError, type NeonClient, type Operation } from '@neonops/neon-client';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { currentIntentContext, takeNeonRequestIds } from '@neonops/observability';
import type { Logger } from 'pino';
import { classify, FailureCodes, IntentFailedError, NotReadyError } from '../errors.js';
import { ProjectLockLostError, type ProjectLock } from '../project-lock.js';
import { initialCheckpoint, workerJobDataSchema, type Checkpoint, type WorkerJobData } from './checkpoint.js';
import type { JsonState, KindHandler, Step, StepContext } from './types.js';
import { guardNeon, type NeonGuard } from './neon-guard.js';
import { operationDeadline, stuckMessage, type OperationDeadlineSettings } from './operation-deadline.js';
import { OperationTimings, type OperationTimingsSource } from './operation-timings.js';
import { pollOperations } from './poll.js';
import { nextPollDelay, progressEstimateMs, type PollScheduleSettings } from './poll-schedule.js';
import { RunLock } from './run-lock.js';
import { addResource, endUndo, onFailureOf, startUndo, undoLockProject, undoRunning, undoStepRecords, undoSteps, type UndoState } from './undo.js';
import { lockRetryDelay, retryDelay } from './wait.js';

/** Every kind has a handler: a kind added to the catalog without one does not compile. */
export type HandlerMap = { [K in IntentKind]: KindHandler<K> };

/** Points where tests and metrics can look in. */
export interface WorkerHooks {
  /** After a mutating step's Neon call returned, before its checkpoint is saved. */
  afterMutation?(info: { intentId: string; kind: IntentKind; step: string }): void | Promise<void>;
  /** Right before the intent's end is written (crash tests). */
  beforeFinish?(info: { intentId: string; kind: IntentKind }): void | Promise<void>;
  /** After an intent reached a terminal status; `durationMs` from its creation, when known. */
  onFinished?(info: {
    intentId: string;
    kind: IntentKind;
    teamId?: string;
    status: 'succeeded' | 'failed' | 'cancelled';
    error?: IntentError;
    durationMs?: number;
  }): void;
  /** A step failed with a retryable error (`reason`: its error code) and comes back after `delayMs`. */
  onStepRetry?(info: { intentId: string; kind: IntentKind; step: string; reason: string; delayMs: number }): void;
  /** A mutating step found its project locked by another intent and waits. */
  onLockWait?(info: { intentId: string; kind: IntentKind; step: string }): void;
  /** Operations of a step were polled; `pending` of them are still running. */
  onOperationsPolled?(info: { intentId: string; kind: IntentKind; polled: number; pending: number }): void;
  /** A step's operations all ended; `waitedMs` since the first of them was created. */
  onOperationsDone?(info: { intentId: string; kind: IntentKind; waitedMs: number }): void;
}

/**
 * Timing and limits of the step engine (poll schedule: see {@link PollScheduleSettings};
 * how long operations may run: {@link OperationDeadlineSettings}).
 */
export interface EngineSettings extends PollScheduleSettings, OperationDeadlineSettings {
  /** Retryable failures before the intent fails with `retries_exhausted`. Default 8. */
  maxAttempts: number;
  /** First retry delay in ms (doubling, jittered). Default 1000. */
  backoffMs: number;
  /** Largest retry delay in ms. Default 30000. */
  backoffMaxMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  maxAttempts: 8,
  backoffMs: 1000,
  backoffMaxMs: 30_000,
  pollInitialMs: 200,
  pollMaxMs: 5000,
  pollNearMs: 250,
  pollMarginMs: 50,
  pollExpectMaxMs: 300_000,
  operationDeadlineMs: 900_000,
};

export interface EngineDeps {
  neon: NeonClient;
  store: IntentStore;
  secretBox: SecretBox;
  projectLock: ProjectLock;
  ownership: ProjectOwnership;
  /** Pull request states for the preview kinds. Default none (preview kinds then fail). */
  pullRequests?: PullRequestStates;
  handlers: HandlerMap;
  logger: Logger;
  settings: EngineSettings;
  hooks?: WorkerHooks;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Jitter source. Default `Math.random`. */
  random?: () => number;
  /**
   * Wakes an intent that waits (delayed) for a project lock just released, so it does not
   * sleep out its retry delay. Default: none (waiters come back on their own).
   */
  wake?: (intentId: string) => Promise<void>;
  /**
   * Forgets the API's cached read-through answers about a project (`forgetCachedReads`) once
   * a mutating step changed it, so a client that saw the intent succeed reads the change.
   * Default: none (no cache to forget).
   */
  forgetCachedReads?: (projectId: string | undefined) => Promise<void>;
  /**
   * With it, every write of a job (record, checkpoint, secrets, the intent's end) is fenced
   * by the job's BullMQ lock token and refused once another worker has the job, and a
   * mutation is not sent by a worker that lost its job. `keyPrefix` is the service key
   * prefix; `redis` a command connection. Default: no fence (tests of the engine alone).
   */
  fencing?: { keyPrefix: string; redis: Redis };
  /**
   * Learned durations of operation batches, for the poll schedule. Default: a new in-memory
   * `OperationTimings` per processor; the worker passes a `SharedOperationTimings` (Redis).
   */
  timings?: OperationTimingsSource;
  /**
   * The expected duration of a batch kind nothing was learned about yet (a prior, e.g.
   * `neonPriorMs`: Neon's typical durations), replaced by the learned one as soon as a batch
   * of that kind finished. Default none: such a batch is polled on the doubling schedule.
   */
  priorMs?: (key: string) => number | undefined;
}

/** What the processor returns (stored by BullMQ as the job's return value: no result, no secrets). */
export interface JobOutcome {
  /** `superseded`: this worker lost the job's lock (another worker has the job) and stopped without writing. */
  status: 'succeeded' | 'failed' | 'cancelled' | 'gone' | 'superseded';
}

/** Saves the checkpoint only while the job's lock holds this worker's token. */
const UPDATE_JOB_DATA = RedisScript.load(new URL('../commands/update-job-data-2.lua', import.meta.url));

/** The job's intent is finished or gone; the job ends without doing anything. */
class Stop extends Error {
  constructor(readonly status: JobOutcome['status']) {
    super(`intent ${status}`);
  }
}

const isDone = (op: Operation): boolean => ['finished', 'skipped'].includes(String(op.status));
const isFailed = (op: Operation): boolean => ['failed', 'error', 'cancelled'].includes(String(op.status));
/** How long Neon says an operation has run (or ran), from its creation. */
const durationOf = (op: Operation): number => (Number.isFinite(op.total_duration_ms) ? Math.max(0, op.total_duration_ms) : 0);
/** The latest end among finished operations of a batch (from its creation), or `before`. */
const latestEnd = (done: readonly Operation[], before: number | undefined): number | undefined =>
  done.length === 0 ? before : Math.max(before ?? 0, ...done.map(durationOf));

/**
 * Builds the BullMQ processor that carries out intents as checkpointed steps. One call of
 * the processor runs steps until the intent is finished or has to wait (for Neon
 * operations, the project lock or a retry backoff): then it saves the checkpoint, moves
 * the job to delayed and throws `DelayedError`, so no slot is held while waiting.
 */
export function createIntentProcessor(deps: EngineDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const settings = deps.settings;
  const timings: OperationTimingsSource = deps.timings ?? new OperationTimings();
  /**
   * When to poll next: at the batch's expected end once its kind was learned, else the
   * doubling schedule; at the batch's deadline at the latest, so that a stuck batch is
   * reported on time. The estimate is usually in memory; a shared one may read Redis once.
   */
  const waitPlan = async (wait: NonNullable<Checkpoint['wait']>): Promise<{ delayMs: number; elapsedMs: number; deadlineMs: number }> => {
    const learnedMs = wait.key === undefined ? undefined : ((await timings.expectedMs(wait.key)) ?? deps.priorMs?.(wait.key));
    const elapsedMs = wait.startedAt === undefined ? undefined : Math.max(0, now() - wait.startedAt);
    // Found pending past that: the batch's own progress tells when the rest is due.
    const progressMs =
      wait.key === undefined || elapsedMs === undefined || wait.polls === 0 || (learnedMs !== undefined && learnedMs > elapsedMs)
        ? undefined
        : progressEstimateMs({ size: wait.key.split('+').length, pending: wait.operationIds.length, doneMs: wait.doneMs, elapsedMs });
    const expectedMs = progressMs ?? learnedMs;
    const deadlineMs = operationDeadline(expectedMs, settings);
    const delayMs = nextPollDelay({ polls: wait.polls, elapsedMs, expectedMs }, settings);
    if (elapsedMs === undefined) return { delayMs, elapsedMs: 0, deadlineMs };
    return { delayMs: Math.min(delayMs, Math.max(settings.pollInitialMs, deadlineMs - elapsedMs)), elapsedMs, deadlineMs };
  };

  return async function processIntent(job: Job<WorkerJobData>, token?: string): Promise<JobOutcome> {
    const data = workerJobDataSchema.parse(job.data);
    const { intentId, kind } = data;
    const log = deps.logger.child({ intentId, teamId: data.teamId, kind, jobId: job.id });
    /** The intent log context (see @neonops/observability) follows the step: Neon request ids and call logs name it. */
    const trace = (step: string, attempt: number | undefined): void => {
      const context = currentIntentContext();
      if (context?.intentId !== intentId) return;
      context.step = step;
      context.attempt = attempt;
    };
    const record = await deps.store.get(intentId);
    if (!record) {
      log.warn('intent record missing (expired or never stored); dropping job');
      return { status: 'gone' };
    }
    if (isTerminalStatus(record.status)) return { status: 'gone' };

    const handler = deps.handlers[kind] as KindHandler<IntentKind, JsonState>;
    const definition = intentCatalog[kind] as IntentKindDefinition;
    const checkpoint: Checkpoint = data.checkpoint ?? initialCheckpoint({});
    const steps: IntentStep[] = handler.steps.map(
      (s) => record.steps.find((r) => r.name === s.name) ?? { name: s.name, status: 'pending', attempts: 0 },
    );
    /** The kind's steps, then the undo steps once the intent is deleting what it created (see `engine/undo.ts`). */
    let runSteps: Step<IntentKind, JsonState>[] = handler.steps;
    const useUndoSteps = (undo: UndoState): void => {
      runSteps = [...handler.steps.slice(0, undo.from), ...undoSteps(undo, checkpoint.resources)];
      steps.splice(undo.from, steps.length, ...undoStepRecords(undo, record.steps));
    };
    if (checkpoint.undo) useUndoSteps(checkpoint.undo);
    let projectId: string | undefined;
    let params: unknown;
    /** This run's hold on the project lock (intents without a project take none). */
    let runLock: RunLock | undefined;
    const lockFor = (lockProject: string): RunLock =>
      new RunLock({ lock: deps.projectLock, projectId: lockProject, intentId, previous: checkpoint.lockToken, now, log });

    const fence: JobFence | undefined =
      deps.fencing && token !== undefined ? { lockKey: intentJobLockKey(deps.fencing.keyPrefix, intentId), token } : undefined;
    const owner = { teamId: record.teamId, kind };
    const saveCheckpoint = async (): Promise<void> => {
      if (runLock) checkpoint.lockToken = runLock.checkpointToken;
      const next: WorkerJobData = { intentId: data.intentId, teamId: data.teamId, kind: data.kind, checkpoint };
      if (!fence || !deps.fencing) return job.updateData(next);
      const saved = await UPDATE_JOB_DATA.run(deps.fencing.redis, [job.queueQualifiedName + ':' + String(job.id), fence.lockKey], [fence.token, JSON.stringify(next)]);
      if (saved === -2) throw new JobFenceLostError(intentId);
      job.data = next;
    };
    /** Before a mutation: this worker still holds the job (a stale worker must not call Neon). */
    const assertJobHeld = async (): Promise<void> => {
      if (fence && deps.fencing && (await deps.fencing.redis.get(fence.lockKey)) !== fence.token) throw new JobFenceLostError(intentId);
    };
    const patchRecord = async (status: 'running' | 'waiting'): Promise<void> => {
      const ok = await deps.store.update(
        intentId,
        {
          status,
          steps,
          operationIds: checkpoint.operationIds,
          ...(checkpoint.resources.length > 0 ? { resources: checkpoint.resources } : {}),
          ...(checkpoint.undo ? { undo: undoRunning(checkpoint.undo, checkpoint.resources) } : {}),
          ...(record.startedAt ? {} : { startedAt: new Date(now()).toISOString() }),
        },
        fence,
      );
      record.startedAt ??= new Date(now()).toISOString();
      if (!ok) throw new Stop('gone');
    };
    const delay = async (ms: number, status: 'running' | 'waiting'): Promise<never> => {
      await saveCheckpoint();
      await patchRecord(status);
      await job.moveToDelayed(now() + ms, token);
      throw new DelayedError();
    };
    const releaseLock = async (): Promise<void> => {
      if (!runLock) return;
      const next = await runLock.release().catch(() => undefined);
      if (next && next !== intentId) await deps.wake?.(next).catch(() => undefined);
    };
    /** Keeps a held lock through a wait of `ms` on operations, plus a TTL for the next run to take it over. */
    const keepLockFor = async (ms: number): Promise<void> => {
      if (runLock?.holds) await runLock.renew(ms + deps.projectLock.ttlMs);
    };
    const finish = async (
      status: 'succeeded' | 'failed' | 'cancelled',
      outcome: { result?: Record<string, unknown>; error?: IntentError; undo?: IntentUndo; resources?: CreatedResource[] },
    ) => {
      await releaseLock();
      await deps.hooks?.beforeFinish?.({ intentId, kind });
      const resources = outcome.resources ?? (checkpoint.resources.length > 0 ? checkpoint.resources : undefined);
      const done = await deps.store.finish(intentId, status, { ...outcome, steps, ...(resources ? { resources } : {}) }, { owner, ...(fence ? { fence } : {}) });
      if (done) {
        const durationMs = now() - Date.parse(record.createdAt);
        deps.hooks?.onFinished?.({ intentId, kind, teamId: record.teamId, status, ...(outcome.error ? { error: outcome.error } : {}), ...(Number.isFinite(durationMs) ? { durationMs } : {}) });
        if (status === 'succeeded') log.info({ status }, 'intent finished');
        else log.warn({ status, error: outcome.error, undo: outcome.undo?.status }, 'intent finished');
      }
    };
    /**
     * The intent failed or was cancelled. With resources to delete (`onFailure: "delete"`, the
     * default) the undo steps come next and this returns true; else the intent ends now (its
     * resources kept and named when `onFailure` is `keep`).
     */
    const failOrUndo = async (after: UndoState['after'], error: IntentError): Promise<boolean> => {
      const start = startUndo(checkpoint, { after, error, onFailure: onFailureOf(params), from: handler.steps.length });
      if (start.kind === 'started' && checkpoint.undo) {
        useUndoSteps(checkpoint.undo);
        // A project.create's new project is locked while its undo deletes it.
        const lockProject = runLock ? undefined : undoLockProject(checkpoint.undo, checkpoint.resources);
        if (lockProject) runLock = lockFor(lockProject);
        log.warn({ after, error, undo: checkpoint.undo.plan.map((e) => e.name) }, 'intent ended; deleting what it created');
        return true;
      }
      await finish(after, { error, ...(start.kind === 'kept' ? { undo: start.undo } : {}) });
      return false;
    };
    /** Saves the checkpoint, frees the slot and comes back after `ms` (a retry, or the undo after a failure). */
    const comeBackIn = async (ms: number): Promise<JobOutcome> => {
      try {
        await delay(ms, 'running');
      } catch (delayed) {
        if (delayed instanceof Stop) return { status: delayed.status };
        if (delayed instanceof JobFenceLostError) {
          await releaseLock();
          return { status: 'superseded' };
        }
        throw delayed;
      }
      throw new DelayedError();
    };

    try {
      params = definition.params.parse(record.params);
      const scope = definition.scope(params);
      projectId = 'projectId' in scope ? scope.projectId : undefined;
      const lockProject = projectId ?? undoLockProject(checkpoint.undo, checkpoint.resources);
      if (lockProject) runLock = lockFor(lockProject);

      const ctx: StepContext<IntentKind, JsonState> = {
        intentId,
        teamId: record.teamId,
        kind,
        params: params as StepContext<IntentKind, JsonState>['params'],
        state: checkpoint.state as JsonState,
        neon: deps.neon,
        resumed: false,
        mutationStartedAt: undefined,
        beginMutation: async () => {
          checkpoint.mutationStarted = { step: checkpoint.step, at: checkpoint.mutationStarted?.at ?? new Date(now()).toISOString() };
          ctx.mutationStartedAt = checkpoint.mutationStarted.at;
          await saveCheckpoint();
        },
        storeSecrets: async (secrets) => {
          await deps.store.putSecrets(intentId, deps.secretBox.seal(secrets, secretContext.intent(intentId)), fence);
        },
        // Saved with the checkpoint and record write after the step (or before its retry or undo).
        recordCreated: (resource) => addResource(checkpoint.resources, resource),
        ownership: deps.ownership,
        pullRequests: deps.pullRequests,
        log,
      };
      if (Object.keys(checkpoint.state).length === 0) checkpoint.state = handler.initialState(ctx.params);
      ctx.state = checkpoint.state as JsonState;

      if (record.status === 'queued') await patchRecord('running');

      for (;;) {
        // 1. Waiting on operations of the current step: poll once, never sleep.
        if (checkpoint.wait) {
          const stepRecord = steps[checkpoint.step];
          // The project stays ours while our operations run: this run takes the lock over from the last one.
          await runLock?.renew();
          const waitProject = (ctx.state.projectId as string | undefined) ?? projectId;
          if (!waitProject) throw new Error('operations to wait for but no project id');
          trace(`${stepRecord?.name ?? 'step'}.poll`, stepRecord?.attempts);
          const operations = await pollOperations(deps.neon, waitProject, checkpoint.wait.operationIds).catch((err: unknown) => {
            // Right after a mutation Neon may not show its operation yet: that passes.
            if (err instanceof NeonNotFoundError) throw new NotReadyError(`operations of ${waitProject} not visible yet`);
            throw err;
          });
          deps.hooks?.onOperationsPolled?.({ intentId, kind, polled: operations.length, pending: operations.filter((op) => !isDone(op) && !isFailed(op)).length });
          const failed = operations.find(isFailed);
          if (failed) {
            throw new IntentFailedError({
              code: FailureCodes.operationFailed,
              message: `Neon operation ${failed.id} (${String(failed.action)}) ended ${String(failed.status)}${failed.error ? `: ${failed.error}` : ''}`,
            });
          }
          const pending = operations.filter((op) => !isDone(op));
          if (pending.length > 0) {
            const doneMs = latestEnd(operations.filter(isDone), checkpoint.wait.doneMs);
            checkpoint.wait = {
              ...checkpoint.wait,
              operationIds: pending.map((op) => op.id),
              polls: checkpoint.wait.polls + 1,
              ...(doneMs === undefined ? {} : { doneMs }),
              // Checkpoints of older workers lack the start: the deadline counts from now.
              startedAt: checkpoint.wait.startedAt ?? now(),
            };
            const plan = await waitPlan(checkpoint.wait);
            if (plan.elapsedMs >= plan.deadlineMs) {
              throw new IntentFailedError({ code: FailureCodes.operationStuck, message: stuckMessage(pending, plan.elapsedMs, plan.deadlineMs) });
            }
            if (stepRecord) stepRecord.status = 'waiting';
            await keepLockFor(plan.delayMs);
            await delay(plan.delayMs, 'waiting');
          }
          // The batch is done: its last operations say how long it took (from its creation).
          if (checkpoint.wait.startedAt !== undefined) deps.hooks?.onOperationsDone?.({ intentId, kind, waitedMs: Math.max(0, now() - checkpoint.wait.startedAt) });
          if (checkpoint.wait.key !== undefined) timings.observe(checkpoint.wait.key, Math.max(...operations.map(durationOf)));
          checkpoint.wait = undefined;
          if (stepRecord) Object.assign(stepRecord, { status: 'succeeded', finishedAt: new Date(now()).toISOString() });
          checkpoint.step++;
          await saveCheckpoint();
          await patchRecord('running');
          await afterStepDone();
        }

        // 2. Step boundary: cancelled meanwhile? (An undo runs to its end: the intent is ending already.)
        const current = await deps.store.get(intentId);
        if (!current || isTerminalStatus(current.status)) throw new Stop('gone');
        if (current.cancelRequested && !checkpoint.undo) {
          const error = { code: 'cancelled', message: `Cancelled on request before step ${runSteps[checkpoint.step]?.name ?? 'finish'}` };
          if (!(await failOrUndo('cancelled', error))) return { status: 'cancelled' };
          await saveCheckpoint();
          await patchRecord('running');
          continue;
        }

        // 3. All steps done: the undo ends the intent as it ended before; else build the result, seal the secrets, finish.
        const step = runSteps[checkpoint.step];
        if (!step && checkpoint.undo) {
          const undo = checkpoint.undo;
          await finish(undo.after, { error: undo.error, ...endUndo(undo, checkpoint.resources, steps, { status: 'done' }, new Date(now()).toISOString()) });
          return { status: undo.after };
        }
        if (!step) {
          trace('finish', undefined);
          const { result, secrets } = await handler.finish(ctx);
          const publicResult = definition.result.parse(result) as Record<string, unknown>;
          if (secrets && Object.keys(secrets as object).length > 0) {
            await deps.store.putSecrets(intentId, deps.secretBox.seal(definition.secrets.parse(secrets), secretContext.intent(intentId)), fence);
          }
          await handler.afterSuccess?.({ ...ctx, result: publicResult as never });
          await finish('succeeded', { result: publicResult });
          return { status: 'succeeded' };
        }
        const stepRecord = steps[checkpoint.step] ?? { name: step.name, status: 'pending', attempts: 0 };

        if (step.skip?.(ctx)) {
          Object.assign(stepRecord, { status: 'skipped', finishedAt: new Date(now()).toISOString() });
          checkpoint.step++;
          continue;
        }

        // 4. Mutations on a project run under its lock; a locked project means "come back soon".
        if (step.mutates && runLock) {
          const { attempt: lock, changed } = await runLock.acquire();
          if (!lock.acquired) {
            checkpoint.lockWaits++;
            deps.hooks?.onLockWait?.({ intentId, kind, step: step.name });
            log.debug({ holder: lock.holder, step: step.name }, 'project locked by another intent; delaying');
            await delay(lockRetryDelay(checkpoint.lockWaits, random), 'running');
          }
          // A later run takes the lock over only from the token the checkpoint names: save it before mutating.
          if (changed) await saveCheckpoint();
        }

        // 5. Run the step (a mutation only while this worker still holds the job).
        if (step.mutates) await assertJobHeld();
        ctx.resumed = checkpoint.mutationStarted?.step === checkpoint.step;
        ctx.mutationStartedAt = ctx.resumed ? checkpoint.mutationStarted?.at : undefined;
        Object.assign(stepRecord, {
          status: 'running',
          attempts: stepRecord.attempts + 1,
          startedAt: stepRecord.startedAt ?? new Date(now()).toISOString(),
        });
        steps[checkpoint.step] = stepRecord;
        trace(step.name, stepRecord.attempts);
        // Under the lock the step's Neon calls stop when a renewal finds the lock lost (see RunLock.hold).
        takeNeonRequestIds(); // what earlier code noted is not this step's
        const outcome = step.mutates && runLock ? await runLock.hold(runGuarded) : await step.run(ctx);
        const accepted = takeNeonRequestIds();
        if (accepted.length > 0) stepRecord.neonRequestIds = [...(stepRecord.neonRequestIds ?? []), ...accepted].slice(-10);
        if (step.mutates) await deps.hooks?.afterMutation?.({ intentId, kind, step: step.name });
        const operations = outcome?.operations ?? [];
        for (const op of operations) if (!checkpoint.operationIds.includes(op.id)) checkpoint.operationIds.push(op.id);
        checkpoint.mutationStarted = undefined;
        const failedNow = operations.find(isFailed);
        if (failedNow) {
          throw new IntentFailedError({
            code: FailureCodes.operationFailed,
            message: `Neon operation ${failedNow.id} (${String(failedNow.action)}) ended ${String(failedNow.status)}${failedNow.error ? `: ${failedNow.error}` : ''}`,
          });
        }
        const pending = operations.filter((op) => !isDone(op));
        if (pending.length > 0) {
          // First poll when this kind of batch is expected to be done (or soon, when not yet
          // learned); the slot is freed meanwhile. Adopted operations may be old: count from their creation.
          const doneMs = latestEnd(operations.filter(isDone), undefined);
          checkpoint.wait = {
            operationIds: pending.map((op) => op.id),
            polls: 0,
            key: OperationTimings.keyOf(operations.map((op) => String(op.action))),
            startedAt: now() - Math.max(...pending.map(durationOf)),
            ...(doneMs === undefined ? {} : { doneMs }),
          };
          stepRecord.status = 'waiting';
          const { delayMs } = await waitPlan(checkpoint.wait);
          await keepLockFor(delayMs);
          await delay(delayMs, 'waiting');
        } else if (operations.length > 0) {
          timings.observe(OperationTimings.keyOf(operations.map((op) => String(op.action))), Math.max(...operations.map(durationOf)));
        }
        // A step's last error stays on record even when a retry then succeeded.
        Object.assign(stepRecord, { status: 'succeeded', finishedAt: new Date(now()).toISOString() });
        checkpoint.step++;
        await saveCheckpoint();
        await patchRecord('running');
        await afterStepDone();
      }

      /**
       * Releases the project lock once no mutating step remains (the others need no
       * exclusivity). Steps that will be skipped do not count; should one run after all, it
       * takes the lock again.
       */
      async function afterStepDone(): Promise<void> {
        if (runSteps[checkpoint.step - 1]?.mutates && deps.forgetCachedReads) {
          // Never a reason to fail or delay the intent: a missed one only serves an answer ttl-old.
          await deps.forgetCachedReads(projectId ?? (ctx.state.projectId as string | undefined)).catch((err: unknown) =>
            log.warn({ err: { message: err instanceof Error ? err.message : String(err) } }, 'could not forget the cached reads of the project'),
          );
        }
        if (!runLock) return;
        const rest = runSteps.slice(checkpoint.step);
        if (!rest.some((s) => s.mutates && !s.skip?.(ctx))) await releaseLock();
      }

      /** Runs the current step with a client whose calls carry the lock's signal and check the token before each write. */
      async function runGuarded(guard: NeonGuard): ReturnType<(typeof runSteps)[number]['run']> {
        const step = runSteps[checkpoint.step];
        if (!step) throw new Error(`no step ${checkpoint.step} to run`);
        ctx.neon = guardNeon(deps.neon, guard);
        try {
          return await step.run(ctx);
        } finally {
          ctx.neon = deps.neon;
        }
      }
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      if (err instanceof JobFenceLostError) {
        // Another worker has the job now: it resumes from the last checkpoint this one saved.
        log.warn('job lock lost (another worker has the job); stopping without writing');
        // A project lock this run took holds its own token: freeing it cannot touch the new owner's.
        await releaseLock();
        return { status: 'superseded' };
      }
      if (err instanceof Stop) {
        await releaseLock();
        return { status: err.status };
      }
      if (err instanceof ProjectLockLostError) {
        // A later run of this intent took the project lock over (this process is stale), or it
        // expired and another intent has it. Nothing of this run is recorded: the job comes
        // back and the step is reconciled from the last checkpoint.
        log.warn({ projectId, step: runSteps[checkpoint.step]?.name }, 'project lock lost during a step; stopping without writing');
        try {
          await assertJobHeld();
        } catch (lost) {
          if (lost instanceof JobFenceLostError) return { status: 'superseded' };
          throw lost;
        }
        await job.moveToDelayed(now() + lockRetryDelay(checkpoint.lockWaits + 1, random), token);
        throw new DelayedError();
      }
      const { retryable, error } = classify(err);
      const stepRecord = steps[checkpoint.step];
      if (stepRecord) Object.assign(stepRecord, { status: retryable ? 'pending' : 'failed', error });
      if (retryable) checkpoint.retries++;
      if (!retryable || checkpoint.retries >= settings.maxAttempts) {
        const failure: IntentError = retryable
          ? { ...error, code: FailureCodes.retriesExhausted, message: `Gave up after ${checkpoint.retries} attempts; last error (${error.code}): ${error.message}` }
          : error;
        if (stepRecord) stepRecord.status = 'failed';
        if (checkpoint.undo) {
          // The undo cannot finish: the intent fails with its original error, the record names what is left behind.
          const undo = checkpoint.undo;
          await finish('failed', { error: undo.error, ...endUndo(undo, checkpoint.resources, steps, { status: 'incomplete', error: failure }, new Date(now()).toISOString()) });
          throw new UnrecoverableError(`${undo.error.code}: ${undo.error.message} (undo incomplete: ${failure.code})`);
        }
        if (!(await failOrUndo('failed', failure))) throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
        // The undo steps run in the job's next run, at once (they take the project lock again there).
        await releaseLock();
        return comeBackIn(0);
      }
      const wait = retryDelay(checkpoint.retries, settings.backoffMs, settings.backoffMaxMs, random);
      // Never hold the project while backing off: others may use it meanwhile.
      await releaseLock();
      log.warn({ error, retry: checkpoint.retries, delayMs: wait }, 'step failed; retrying');
      deps.hooks?.onStepRetry?.({ intentId, kind, step: runSteps[checkpoint.step]?.name ?? 'unknown', reason: error.code, delayMs: wait });
      return comeBackIn(wait);
    }
  };
}

export type IntentProcessor = ReturnType<typeof createIntentProcessor>;
export type { IntentRecord };
