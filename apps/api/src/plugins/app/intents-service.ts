import {
  intentCatalog,
  IntentStore,
  intentJobId,
  isTerminalStatus,
  newIntentId,
  scopeOf,
  type IntentJobData,
  type IntentKind,
  type IntentRecord,
  type IntentRequest,
  type IntentStatus,
  type SecretBox,
} from '@neonops/intents';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import {
  IntentAlreadyFinishedError,
  IntentNotFoundError,
  KindForbiddenError,
  ProjectCreationForbiddenError,
  TooManyActiveIntentsError,
} from '../../errors.js';
import { withDeadline, withRedis } from '../../redis-errors.js';
import type { Team } from '../../teams/teams-file.js';
import type { ProjectScope } from './project-scope.js';

declare module 'fastify' {
  interface FastifyInstance {
    intents: IntentsService;
  }
}

/** An intent as the API shows it: the record, plus its opened secrets on `GET /v1/intents/:id`. */
export type IntentView = IntentRecord & { secrets?: Record<string, unknown> };

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
  /** How long an enqueue may take before the API answers 503. Default 3000 ms. */
  enqueueTimeoutMs?: number;
  log: FastifyBaseLogger;
}

/** What `cancel` did: `cancelled` at once (it was queued), or `requested` (the worker stops at the next step). */
export type CancelOutcome = { outcome: 'cancelled' | 'requested'; intent: IntentRecord };

/** The intents domain as the routes use it: submit, read, list and cancel, always within one team. */
export class IntentsService {
  constructor(private readonly deps: IntentsServiceDeps) {}

  /** Checks the request against the team's rights; throws the catalog error that applies. */
  async authorize(team: Team, request: IntentRequest): Promise<void> {
    const definition = intentCatalog[request.kind];
    if (definition.adminOnly && !team.admin) throw new KindForbiddenError(`${request.kind} needs an admin token`);
    const scope = scopeOf(request);
    if ('projectId' in scope) await this.deps.projectScope.assertAllowed(team, scope.projectId);
    else if ('newProject' in scope && !team.canCreateProjects) throw new ProjectCreationForbiddenError();
    else if ('account' in scope && !team.admin) throw new KindForbiddenError(`${request.kind} needs an admin token`);
  }

  /** Stores a new intent (refused at the team's cap) and enqueues its job (job id = intent id). */
  async submit(team: Team, request: IntentRequest, idempotencyKey?: string): Promise<IntentRecord> {
    await this.authorize(team, request);
    const now = this.deps.now();
    const record: IntentRecord = {
      id: newIntentId(now),
      teamId: team.id,
      kind: request.kind,
      params: request.params as Record<string, unknown>,
      status: 'queued',
      steps: [],
      operationIds: [],
      hasSecrets: false,
      cancelRequested: false,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const outcome = await withRedis(this.deps.redis, () => this.deps.store.create(record, { maxActive: team.limits.maxActiveIntents }));
    if (outcome === 'cap_reached') throw new TooManyActiveIntentsError(team.limits.maxActiveIntents, this.deps.capRetryAfterSeconds);
    try {
      await withRedis(this.deps.queueRedis, () =>
        withDeadline(
          this.deps.queue.add(record.kind, { intentId: record.id, teamId: team.id, kind: record.kind }, { jobId: intentJobId(record.id) }),
          this.deps.enqueueTimeoutMs ?? 3000,
        ),
      );
    } catch (error) {
      // Without a job nobody would ever run it: finish it as failed so it leaves the team's cap.
      await this.deps.store
        .finish(record.id, 'failed', { error: { code: 'enqueue_failed', message: 'The intent could not be queued; submit it again' } })
        .catch((finishError: unknown) => this.deps.log.error({ err: finishError, intentId: record.id }, 'could not fail an unqueued intent'));
      throw error;
    }
    return record;
  }

  /** The team's intent with its secrets opened, or 404 (also for other teams' intents). */
  async get(team: Team, id: string): Promise<IntentView> {
    const record = await withRedis(this.deps.redis, () => this.deps.store.getForTeam(team.id, id));
    if (!record) throw new IntentNotFoundError(`No intent ${id}`);
    if (!record.hasSecrets) return record;
    const sealed = await withRedis(this.deps.redis, () => this.deps.store.getSecrets(id));
    if (sealed === undefined) return record;
    try {
      return { ...record, secrets: this.deps.secretBox.open(sealed) as Record<string, unknown> };
    } catch (error) {
      // Wrong SECRETS_KEY or corrupted data: show the intent, log the cause, never the value.
      this.deps.log.error({ err: error, intentId: id }, 'could not open the secrets of an intent');
      return record;
    }
  }

  async list(team: Team, query: { status?: IntentStatus; kind?: IntentKind; cursor?: string; limit?: number }) {
    return withRedis(this.deps.redis, () => this.deps.store.list(team.id, query));
  }

  /**
   * Cancels an intent. Queued: its job is removed and it is `cancelled` at once. Running or
   * waiting: `cancelRequested` is set and the worker stops at the next step boundary
   * (Neon changes already made stay). Finished: 409 `intent_already_finished`.
   */
  async cancel(team: Team, id: string): Promise<CancelOutcome> {
    const { redis, store, queue } = this.deps;
    const record = await withRedis(redis, () => store.getForTeam(team.id, id));
    if (!record) throw new IntentNotFoundError(`No intent ${id}`);
    if (isTerminalStatus(record.status)) throw new IntentAlreadyFinishedError(`The intent is ${record.status}`);
    if (record.status === 'queued') {
      // remove() refuses (0) a job a worker holds the lock of; then it is running after all.
      const removed = await withRedis(this.deps.queueRedis, () => queue.remove(intentJobId(id)));
      if (removed === 1) {
        const finished = await withRedis(redis, () =>
          store.finish(id, 'cancelled', { error: { code: 'cancelled', message: 'Cancelled before it started' } }),
        );
        if (finished) return { outcome: 'cancelled', intent: await this.reread(team, id) };
      }
    }
    const requested = await withRedis(redis, () => store.requestCancel(id));
    const current = await this.reread(team, id);
    if (!requested && isTerminalStatus(current.status)) throw new IntentAlreadyFinishedError(`The intent is ${current.status}`);
    return { outcome: 'requested', intent: current };
  }

  private async reread(team: Team, id: string): Promise<IntentRecord> {
    const record = await withRedis(this.deps.redis, () => this.deps.store.getForTeam(team.id, id));
    if (!record) throw new IntentNotFoundError(`No intent ${id}`);
    return record;
  }
}

export interface IntentsPluginOptions {
  keyPrefix: string;
  retentionSeconds: number;
  capRetryAfterSeconds: number;
  secretBox: SecretBox;
  now: () => Date;
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
        queue: fastify.intentsQueue,
        projectScope: fastify.projectScope,
        secretBox: options.secretBox,
        now: options.now,
        capRetryAfterSeconds: options.capRetryAfterSeconds,
        log: fastify.log,
      }),
    );
  },
  { name: 'intents-service', dependencies: ['redis', 'intents-queue', 'project-scope'] },
);
