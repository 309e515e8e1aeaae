import type { ArchivedIntent, IntentHistory } from '@neonops/durable-store';
import {
  intentIdPattern,
  IdempotencyKeyHeldError,
  IdempotencyLeaseLostError,
  IntentCapReachedError,
  IntentStore,
  IntentSubmitter,
  intentJobId,
  isTerminalStatus,
  type IntentActor,
  type IntentJobData,
  type IntentKind,
  type IntentRecord,
  type IntentRequest,
  type IntentStatus,
  secretContext,
  type SecretBox,
  type TraceJobAdd,
} from '@neonops/intents';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import {
  BranchProtectedError,
  IdempotencyRequestInFlightError,
  IntentAlreadyFinishedError,
  KindNotAllowedOnProjectError,
  NotProjectOwnerError,
  ServiceKeyProtectedError,
  IntentNotFoundError,
  KindForbiddenError,
  ProjectCreationForbiddenError,
  ProjectNotFoundError,
  StoreUnavailableError,
  TooManyActiveIntentsError,
} from '../../errors.js';
import { withRedis } from '../../redis-errors.js';
import type { Team } from '../../teams/teams-file.js';
import { mergeIntentPages, type IntentPage } from './intent-pages.js';
import type { IntentWatch } from './intent-watch.js';
import type { ProjectScope } from './project-scope.js';
import type { IdempotencyClaim } from './idempotency/index.js';
import type { BeginOutcome, IdempotencyLease, IdempotencyStore, StoredResponse } from './idempotency/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    intents: IntentsService;
  }
}

/**
 * An intent as the API shows it: the record, plus its opened secrets on `GET /v1/intents/:id`;
 * `partial` when it comes from the durable history, which only knew its end event.
 */
export type IntentView = (IntentRecord | ArchivedIntent) & { secrets?: Record<string, unknown> };

export interface IntentsServiceDeps {
  redis: Redis;
  /** The queue's connection, for telling a Redis outage from a bug when an enqueue fails. */
  queueRedis: Redis;
  store: IntentStore;
  queue: Queue<IntentJobData>;
  projectScope: ProjectScope;
  secretBox: SecretBox;
  now: () => Date;
  /** `Retry-After` seconds for a team at its cap. */
  capRetryAfterSeconds: number;
  /**
   * The durable history (PostgreSQL): intents Redis no longer has are read from it. Default
   * none (Redis only). Its outage never fails a request Redis can answer alone.
   */
  history?: IntentHistory;
  /** Makes the idempotent answer stored with a new intent, and reads what a held key holds. */
  idempotency: Pick<IdempotencyStore, 'answerFor' | 'claimFor' | 'outcomeOf'>;
  /** How long the API waits for the job to be added before leaving it to the sweeper. Default 3000 ms. */
  enqueueTimeoutMs?: number;
  /** Tells long-polls that an intent changed. Default: none (a wait then lasts its whole time, re-reading at its end). */
  watch?: IntentWatch;
  /** Test hook: called at named points of the submit path (a crash test kills the process there). */
  crashPoints?: (point: 'api.after_record' | 'api.after_job_add') => void;
  log: FastifyBaseLogger;
  /** Told of each intent created (not of an idempotent replay): metrics. Default none. */
  onCreated?: (intent: IntentRecord) => void;
}

/** Waits `ms` unless `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve('aborted')), { once: true });
  });
}

/** The `202` of `POST /v1/intents` for a new intent, as stored for idempotent replays. */
export function acceptedResponse(record: IntentRecord): StoredResponse {
  return {
    status: 202,
    headers: { 'content-type': 'application/json; charset=utf-8', location: `/v1/intents/${record.id}` },
    body: JSON.stringify(record),
  };
}

/** A submitted intent and its `202` answer (the body serialized once, for the reply and the idempotency record alike). */
export interface Submitted {
  intent: IntentRecord;
  response: StoredResponse;
}

/**
 * The idempotency key a submit stores its answer under, in the same script as the intent:
 * claimed before (a lease: hook deliveries, with their own store, kept longer, and answer),
 * or claimed in that script too (`claim`: the API's `Idempotency-Key`; a key that holds a
 * value already throws {@link HeldIdempotencyKeyError}).
 */
export type SubmitIdempotency = LeasedSubmitIdempotency | ClaimedSubmitIdempotency;

export interface LeasedSubmitIdempotency {
  key: string;
  lease: IdempotencyLease;
  /** The store that issued the lease. Default: the API's `Idempotency-Key` store. */
  store?: Pick<IdempotencyStore, 'answerFor'>;
  /** The answer to store and send. Default `acceptedResponse` (the `202` of `POST /v1/intents`). */
  response?: (record: IntentRecord) => StoredResponse;
}

export interface ClaimedSubmitIdempotency {
  /** The client's key, as sent (stored on the record). */
  key: string;
  claim: IdempotencyClaim;
}

/** The claimed Idempotency-Key already held a value: nothing was stored; `outcome` says what it holds. */
export class HeldIdempotencyKeyError extends Error {
  constructor(readonly outcome: Exclude<BeginOutcome, { kind: 'started' }>) {
    super(`the Idempotency-Key already holds a value (${outcome.kind})`);
    this.name = 'HeldIdempotencyKeyError';
  }
}

/** What `cancel` did: `cancelled` at once (it was queued), or `requested` (the worker stops at the next step). */
export type CancelOutcome = { outcome: 'cancelled' | 'requested'; intent: IntentRecord };

/** The intents domain as the routes use it: submit, read, list and cancel, always within one team. */
export class IntentsService {
  /** Reads of an intent in flight, shared by its long-polls (see `readShared`). */
  private readonly reads = new Map<string, Promise<IntentView>>();

  private readonly submitter: IntentSubmitter;

  constructor(private readonly deps: IntentsServiceDeps) {
    const crashPoints = deps.crashPoints;
    this.submitter = new IntentSubmitter({
      store: deps.store,
      queue: deps.queue,
      now: deps.now,
      enqueueTimeoutMs: deps.enqueueTimeoutMs ?? 3000,
      // Stored is accepted: the sweeper queues it within its interval.
      onEnqueueFailed: (error, intentId) => deps.log.warn({ err: error, intentId }, 'could not queue the intent now; the sweeper will'),
      ...(crashPoints ? { crashPoints: (point) => crashPoints(point === 'submit.after_record' ? 'api.after_record' : 'api.after_job_add') } : {}),
    });
  }

  /** Checks the request against the team's rights (`IntentRights`, shared with the worker); throws the catalog error that applies. */
  async authorize(team: Team, request: IntentRequest): Promise<void> {
    const refused = await withRedis(this.deps.redis, () => this.deps.projectScope.rights.refusal(team, request));
    if (!refused) return;
    switch (refused.code) {
      case 'kind_forbidden':
        throw new KindForbiddenError(refused.message);
      case 'project_creation_forbidden':
        throw new ProjectCreationForbiddenError();
      case 'project_not_found':
        throw new ProjectNotFoundError(refused.message);
      case 'kind_not_allowed_on_project':
        throw new KindNotAllowedOnProjectError(refused.message);
      case 'not_project_owner':
        throw new NotProjectOwnerError(refused.message);
      case 'service_key_protected':
        throw new ServiceKeyProtectedError(refused.message);
      case 'branch_protected':
        throw new BranchProtectedError(refused.message);
      default: {
        const unknown: never = refused.code;
        throw new KindForbiddenError(`refused: ${String(unknown)}`);
      }
    }
  }

  /**
   * Stores a new intent (refused at the team's cap) and enqueues its job (job id = intent id),
   * through the submit path every producer shares (`IntentSubmitter` of @neonops/intents).
   *
   * The record, the team's cap and (with an `Idempotency-Key`) the key's stored answer are
   * written in one script, so at every crash point a retry with the same key finds either
   * nothing (and starts afresh) or the intent and its answer. The job is added afterwards;
   * when that fails or the process dies first, the intent is still accepted: the sweeper
   * (a job scheduler in the workers) adds the missing job of any queued intent, and BullMQ's
   * job id makes adding it twice harmless. `traceAdd` (a kept request trace's, `jobAddTracer`)
   * traces the job's add under the request's span, so the worker continues the trace.
   */
  async submit(team: Team, request: IntentRequest, idempotency?: SubmitIdempotency, actor?: IntentActor, traceAdd?: TraceJobAdd): Promise<Submitted> {
    await this.authorize(team, request);
    let accepted: StoredResponse | undefined;
    const respond = (record: IntentRecord): StoredResponse =>
      (accepted ??= (idempotency && 'lease' in idempotency && idempotency.response ? idempotency.response : acceptedResponse)(record));
    const answer = (record: IntentRecord) => {
      if (!idempotency) throw new Error('unreachable: no idempotency key');
      if ('claim' in idempotency) return this.deps.idempotency.claimFor(idempotency.claim.redisKey, idempotency.claim.fingerprint, respond(record));
      return (idempotency.store ?? this.deps.idempotency).answerFor(idempotency.lease, respond(record));
    };
    const submitted = await withRedis(this.deps.redis, () =>
      this.submitter.submit(team, request, {
        ...(idempotency ? { idempotency: { key: idempotency.key, answer } } : {}),
        ...(actor ? { actor } : {}),
        ...(traceAdd ? { traceAdd } : {}),
      }),
    ).catch((error: unknown) => {
      if (error instanceof IntentCapReachedError) throw new TooManyActiveIntentsError(error.maxActive, this.deps.capRetryAfterSeconds);
      if (error instanceof IdempotencyLeaseLostError) throw new IdempotencyRequestInFlightError();
      if (error instanceof IdempotencyKeyHeldError && idempotency && 'claim' in idempotency) {
        throw new HeldIdempotencyKeyError(this.deps.idempotency.outcomeOf(error.value, idempotency.claim.fingerprint));
      }
      throw error;
    });
    if (submitted.created) {
      const { id: intentId, teamId, kind } = submitted.intent;
      // Every intent's story starts here: support follows it by this id through the worker's lines.
      this.deps.log.info({ intentId, teamId, kind, actor }, 'intent created');
      this.deps.onCreated?.(submitted.intent);
    }
    return { intent: submitted.intent, response: respond(submitted.intent) };
  }

  /** The team's intent with its secrets opened, or 404 (also for other teams' intents). */
  async get(team: Team, id: string): Promise<IntentView> {
    const record = await withRedis(this.deps.redis, () => this.deps.store.getForTeam(team.id, id));
    if (!record) return this.archived(team, id);
    if (!record.hasSecrets) return record;
    const sealed = await withRedis(this.deps.redis, () => this.deps.store.getSecrets(id));
    if (sealed === undefined) return record;
    try {
      return { ...record, secrets: this.deps.secretBox.open(sealed, secretContext.intent(id)) as Record<string, unknown> };
    } catch (error) {
      // Wrong SECRETS_KEY or corrupted data: show the intent, log the cause, never the value.
      this.deps.log.error({ err: error, intentId: id }, 'could not open the secrets of an intent');
      return record;
    }
  }

  /**
   * The team's intents newest first, from Redis and, below and between its entries, from the
   * durable history (see `mergeIntentPages`); the cursor is an intent id either way. Both are
   * read at once. With the history down, a page Redis fills alone is answered from Redis (an
   * old intent interleaved with Redis's may be missing from it: logged); any other is 503.
   */
  /**
   * The team's intent as soon as it is finished, or as it is when `waitMs` has passed (a
   * long-poll). Between reads it waits for the intent's change notice, so a waiting client
   * costs Redis nothing; `signal` (the client went away) ends the wait at once.
   */
  async getWhenDone(team: Team, id: string, waitMs: number, signal?: AbortSignal): Promise<IntentView> {
    const deadline = Date.now() + waitMs;
    const follower = this.deps.watch?.follow(id);
    try {
      for (;;) {
        const view = await this.readShared(team, id);
        const left = deadline - Date.now();
        if (isTerminalStatus(view.status) || left <= 0 || signal?.aborted) return view;
        const outcome = follower ? await follower.next(left, signal) : await sleep(left, signal);
        if (outcome === 'aborted') return view;
      }
    } finally {
      follower?.close();
    }
  }

  /**
   * One read for every follower of an intent woken by the same notice: 200 clients
   * long-polling one intent cost one read when it changes, not 200.
   */
  private readShared(team: Team, id: string): Promise<IntentView> {
    const key = `${team.id}\u0000${id}`;
    let read = this.reads.get(key);
    if (!read) {
      read = this.get(team, id).finally(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }

  async list(team: Team, query: { status?: IntentStatus; kind?: IntentKind; cursor?: string; limit?: number }): Promise<IntentPage<IntentView>> {
    const history = this.deps.history;
    const fromRedis = withRedis(this.deps.redis, () => this.deps.store.list(team.id, query));
    if (!history) return fromRedis;
    const limit = query.limit ?? 20;
    const { status, kind, cursor } = query;
    const fromHistory = history
      .list(team.id, { ...(status ? { status } : {}), ...(kind ? { kind } : {}), ...(cursor ? { before: cursor } : {}), limit })
      .then((rows) => ({ rows }), (error: unknown) => ({ error }));
    const [page, archived] = await Promise.all([fromRedis, fromHistory]);
    if ('rows' in archived) return mergeIntentPages(page, archived.rows, limit);
    if (page.items.length < limit) throw historyUnavailable(archived.error);
    this.deps.log.warn({ err: archived.error, teamId: team.id }, 'intent history unavailable; answered a full page from Redis alone');
    return page;
  }

  /** An intent Redis no longer has, from the durable history; 404 when neither has it (or it is another team's). */
  private async archived(team: Team, id: string): Promise<ArchivedIntent> {
    const history = this.deps.history;
    // Not an intent id: no store could have it, and the database need not be asked.
    if (!history || !intentIdPattern.test(id)) throw new IntentNotFoundError(`No intent ${id}`);
    const archived = await history.get(team.id, id).catch((error: unknown) => {
      throw historyUnavailable(error);
    });
    if (!archived) throw new IntentNotFoundError(`No intent ${id}`);
    return archived;
  }

  /**
   * Cancels an intent. Queued: its job is removed and it is `cancelled` at once. Running or
   * waiting: `cancelRequested` is set and the worker stops at the next step boundary
   * (resources it created are deleted then, unless `onFailure: "keep"`). Finished: 409 `intent_already_finished`.
   */
  async cancel(team: Team, id: string): Promise<CancelOutcome> {
    const { redis, store, queue } = this.deps;
    const record = await withRedis(redis, () => store.getForTeam(team.id, id));
    // Only ended intents reach the history: one found there is finished (409), like one in Redis.
    if (!record) throw new IntentAlreadyFinishedError(`The intent is ${(await this.archived(team, id)).status}`);
    if (isTerminalStatus(record.status)) throw new IntentAlreadyFinishedError(`The intent is ${record.status}`);
    // The request is recorded first: whatever happens next (a crash, a job re-added by the
    // sweeper), a worker that picks the intent up stops before its first step.
    const requested = await withRedis(redis, () => store.requestCancel(id));
    if (requested && record.status === 'queued') {
      // remove() refuses (0) a job a worker holds the lock of; then it is running after all.
      const removed = await withRedis(this.deps.queueRedis, async () => {
        if ((await queue.remove(intentJobId(id))) === 1) return true;
        // Not queued yet (the sweeper adds jobs of intents whose submit was cut short): nothing to remove.
        return (await queue.getJob(intentJobId(id))) === undefined;
      });
      if (removed) {
        const finished = await withRedis(redis, () =>
          store.finish(id, 'cancelled', { error: { code: 'cancelled', message: 'Cancelled before it started' } }, { owner: record }),
        );
        if (finished) return { outcome: 'cancelled', intent: await this.reread(team, id) };
      }
    }
    const current = await this.reread(team, id);
    if (!requested && isTerminalStatus(current.status)) throw new IntentAlreadyFinishedError(`The intent is ${current.status}`);
    if (isTerminalStatus(current.status)) return { outcome: current.status === 'cancelled' ? 'cancelled' : 'requested', intent: current };
    return { outcome: 'requested', intent: current };
  }

  private async reread(team: Team, id: string): Promise<IntentRecord> {
    const record = await withRedis(this.deps.redis, () => this.deps.store.getForTeam(team.id, id));
    if (!record) throw new IntentNotFoundError(`No intent ${id}`);
    return record;
  }
}

/** The durable history did not answer: 503, like Redis, but saying which store is away. */
function historyUnavailable(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError({ cause, detail: 'The intent history (PostgreSQL) is not reachable; retry later', retryAfterSeconds: 5 });
}

export interface IntentsPluginOptions {
  keyPrefix: string;
  retentionSeconds: number;
  capRetryAfterSeconds: number;
  secretBox: SecretBox;
  now: () => Date;
  crashPoints?: IntentsServiceDeps['crashPoints'];
}

export default fp<IntentsPluginOptions>(
  async (fastify, options) => {
    const store = new IntentStore(fastify.redis, { prefix: options.keyPrefix, retentionSeconds: options.retentionSeconds, now: options.now });
    fastify.decorate(
      'intents',
      new IntentsService({
        redis: fastify.redis,
        queueRedis: fastify.queueRedis,
        store,
        idempotency: fastify.idempotencyStore,
        queue: fastify.intentsQueue,
        projectScope: fastify.projectScope,
        secretBox: options.secretBox,
        now: options.now,
        capRetryAfterSeconds: options.capRetryAfterSeconds,
        ...(fastify.intentHistory ? { history: fastify.intentHistory } : {}),
        watch: fastify.intentWatch,
        log: fastify.log,
        ...(options.crashPoints ? { crashPoints: options.crashPoints } : {}),
        ...(fastify.hasDecorator('metrics') ? { onCreated: (intent: IntentRecord) => fastify.metrics.intentsSubmitted.inc({ kind: intent.kind, team: intent.teamId }) } : {}),
      }),
    );
  },
  { name: 'intents-service', dependencies: ['redis', 'intents-queue', 'durable-store', 'project-scope', 'idempotency', 'intent-watch'] },
);
