import type { Team } from '@neonops/teams';
import { intentRequestSchema, type IntentRequest } from './catalog.js';
import { intentJobId, intentJobOptions, type IntentJobData } from './queue.js';
import { queuedIntentRecord, type IntentActor, type IntentRecord } from './record.js';
import type { IntentRights } from './rights.js';
import type { DedupeCreate, IdempotentClaim, IdempotentCreate, IntentStore } from './store.js';

/** The part of a BullMQ `Queue<IntentJobData>` the submitter uses (this package does not depend on BullMQ). */
export interface IntentJobQueue {
  add(
    name: string,
    data: IntentJobData,
    options: { jobId: string; attempts?: number; backoff?: { type: string; delay: number }; telemetry?: { metadata: string } },
  ): Promise<unknown>;
}

/**
 * Traces the job's add under a trace context the caller holds (observability's `jobAddTracer`:
 * a request's span): `add` gets the job options' `telemetry` (the trace context the worker
 * continues), none outside a kept trace. Kept structural: this package does not depend on OpenTelemetry.
 */
export type TraceJobAdd = <T>(jobName: string, add: (telemetry?: { metadata: string }) => Promise<T>) => Promise<T>;

/** The team already has `maxActive` intents queued, running or waiting: nothing was stored; try again later. */
export class IntentCapReachedError extends Error {
  readonly code = 'too_many_active_intents';
  constructor(
    readonly teamId: string,
    readonly maxActive: number,
  ) {
    super(`team ${teamId} already has ${maxActive} unfinished intents`);
    this.name = 'IntentCapReachedError';
  }
}

/** The request's idempotency claim expired before its intent was stored: nothing was stored. */
export class IdempotencyLeaseLostError extends Error {
  readonly code = 'idempotency_lease_lost';
  constructor() {
    super('The idempotency claim of the request expired before its intent was stored');
    this.name = 'IdempotencyLeaseLostError';
  }
}

/**
 * The Idempotency-Key claimed with the intent already holds a value (an earlier request's
 * answer, or another request's in-flight claim): nothing was stored. `value` is the key's
 * record as stored; the caller decides (replay, 422 for another body, 409 while in flight).
 */
export class IdempotencyKeyHeldError extends Error {
  readonly code = 'idempotency_key_held';
  constructor(readonly value: string) {
    super('The Idempotency-Key already holds a value');
    this.name = 'IdempotencyKeyHeldError';
  }
}

/** The dedupe key made an intent whose record has expired since: nothing is submitted again. */
export class SubmittedIntentGoneError extends Error {
  readonly code = 'submitted_intent_gone';
  constructor(readonly intentId: string) {
    super(`the dedupe key already made intent ${intentId}, whose record has expired`);
    this.name = 'SubmittedIntentGoneError';
  }
}

export interface SubmitOptions {
  /**
   * The idempotency answer stored with the intent in the same script, made from the record
   * about to be stored. With a lease (`IdempotentCreate`, the key claimed before): refused
   * (`IdempotencyLeaseLostError`) when the request's claim on the key is no longer its own.
   * As a claim (`IdempotentClaim`, the API's `Idempotency-Key`): the key is claimed in that
   * script too, and a key that holds a value already throws `IdempotencyKeyHeldError`.
   */
  idempotency?: { key: string; answer: (record: IntentRecord) => IdempotentCreate | IdempotentClaim };
  /**
   * A producer's own dedupe key, per team (a schedule's tick, a budget's period and
   * endpoint): the same key never makes two intents while it lives, however often the
   * producer runs again after a crash or a re-delivered job. A repeat answers the first
   * intent with `created: false` (and re-adds its job if it is still queued).
   */
  dedupe?: DedupeCreate;
  /** Who is submitting (stored on the record for the audit). Default none. */
  actor?: IntentActor;
  /**
   * The job's add traced under the caller's trace (a kept request's, handed over explicitly:
   * the API runs without an async context manager). Default none: the queue's own telemetry,
   * if any, decides.
   */
  traceAdd?: TraceJobAdd;
}

/** What `submit` did: the intent it stored, or (a dedupe repeat) the one stored before. */
export interface SubmitOutcome {
  intent: IntentRecord;
  /** False when the dedupe key had already made `intent` (nothing new was stored). */
  created: boolean;
}

export interface IntentSubmitterDeps {
  store: IntentStore;
  queue: IntentJobQueue;
  /**
   * The team's rights, checked before anything is stored (`IntentRefusedError`). Worker-side
   * producers always pass it; the API checks first itself (its errors) and may leave it out.
   */
  rights?: IntentRights;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** How long a submit waits for the job to be added before leaving it to the sweeper, in ms. Default 3000. */
  enqueueTimeoutMs?: number;
  /** Told when the job could not be added now (the sweeper adds it later). */
  onEnqueueFailed?: (error: unknown, intentId: string) => void;
  /** Test hook: called at named points (a crash test throws or kills the process there). */
  crashPoints?: (point: 'submit.after_record' | 'submit.after_job_add') => void;
}

/** The job add did not settle in time (Redis slow or away): the sweeper will add it. */
class EnqueueTimeoutError extends Error {
  constructor(ms: number) {
    super(`adding the intent's job took longer than ${ms} ms`);
    this.name = 'EnqueueTimeoutError';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new EnqueueTimeoutError(ms)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Submits intents for a team: the one path every producer takes — the API for requests and
 * hook deliveries, the worker for schedules, budget enforcement and quota sweeps.
 *
 * 1. the request is parsed with the catalog's schema (an invalid one throws the zod error)
 *    and, with `rights`, checked against the team's rights (`IntentRefusedError`); a
 *    refused request stores nothing;
 * 2. the record, the team's cap and the idempotency answer or dedupe key, in one script
 *    (`IntentStore.create`, `create-6.lua`): at every crash point a retry finds either
 *    nothing or the intent with its key;
 * 3. the job (job id = intent id). When adding it fails or the process dies first, the intent
 *    is still accepted: the sweeper adds the missing job of any queued intent, and the job id
 *    makes adding it twice harmless.
 *
 * ```ts
 * const submitter = new IntentSubmitter({ store, queue, rights });
 * await submitter.submit(team, { kind: 'endpoint.suspend', params }, { dedupe: { key: `budget:2026-11:${endpointId}`, ttlMs: 40 * 86_400_000 } });
 * ```
 */
export class IntentSubmitter {
  private readonly now: () => Date;

  constructor(private readonly deps: IntentSubmitterDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async submit(team: Team, input: IntentRequest, options: SubmitOptions = {}): Promise<SubmitOutcome> {
    const request = intentRequestSchema.parse(input);
    await this.deps.rights?.assert(team, request);
    const record = queuedIntentRecord({
      teamId: team.id,
      kind: request.kind,
      params: request.params as Record<string, unknown>,
      at: this.now(),
      idempotencyKey: options.idempotency?.key,
      actor: options.actor,
    });
    const maxActive = team.limits.maxActiveIntents;
    if (options.dedupe) {
      const outcome = await this.deps.store.createDeduped(record, { maxActive, dedupe: options.dedupe });
      if (outcome === 'cap_reached') throw new IntentCapReachedError(team.id, maxActive);
      if (typeof outcome === 'object') {
        const first = await this.deps.store.get(outcome.duplicateOf);
        if (!first) throw new SubmittedIntentGoneError(outcome.duplicateOf);
        // The first submit may have died before adding the job; adding it again is harmless.
        if (first.status === 'queued') await this.enqueue(first, options.traceAdd);
        return { intent: first, created: false };
      }
    } else {
      const idempotency = options.idempotency?.answer(record);
      const outcome =
        idempotency && !('inFlightValue' in idempotency)
          ? await this.deps.store.createClaiming(record, { maxActive, claim: idempotency })
          : await this.deps.store.create(record, { maxActive, ...(idempotency ? { idempotency } : {}) });
      if (typeof outcome === 'object') throw new IdempotencyKeyHeldError(outcome.held);
      if (outcome === 'cap_reached') throw new IntentCapReachedError(team.id, maxActive);
      if (outcome === 'lease_lost') throw new IdempotencyLeaseLostError();
    }
    this.deps.crashPoints?.('submit.after_record');
    await this.enqueue(record, options.traceAdd);
    this.deps.crashPoints?.('submit.after_job_add');
    return { intent: record, created: true };
  }

  /** Adds the intent's job; a failure is reported, not thrown (the sweeper adds it later). */
  private async enqueue(record: IntentRecord, traceAdd?: TraceJobAdd): Promise<void> {
    const add = (telemetry?: { metadata: string }) =>
      this.deps.queue.add(
        record.kind,
        { intentId: record.id, teamId: record.teamId, kind: record.kind },
        { ...intentJobOptions, backoff: { ...intentJobOptions.backoff }, jobId: intentJobId(record.id), ...(telemetry ? { telemetry } : {}) },
      );
    try {
      await withTimeout(traceAdd ? traceAdd(record.kind, add) : add(), this.deps.enqueueTimeoutMs ?? 3000);
    } catch (error) {
      this.deps.onEnqueueFailed?.(error, record.id);
    }
  }
}
