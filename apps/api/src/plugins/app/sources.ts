import {
  bullPrefix,
  closeHandshaken,
  GITHUB_POST_BACK_QUEUE,
  POST_BACK_JOB_OPTIONS,
  postBackJobId,
  PullRequestStates,
  SourceStore,
  sourceView,
  type CreateSourceBody,
  type PostBackJobData,
  type SecretBox,
  type SourceView,
} from '@neonops/intents';
import { Queue } from 'bullmq';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { ProjectNotFoundError, SourceInTeamsFileError, SourceNotFoundError, TooManySourcesError } from '../../errors.js';
import { withRedis } from '../../redis-errors.js';
import type { FileSources } from '../../sources/file-sources.js';
import { HookIntake } from '../../sources/hook-intake.js';
import { PreviewIndex } from '../../sources/preview-index.js';
import type { Team } from '../../teams/teams-file.js';
import { IdempotencyStore } from './idempotency/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    sources: SourcesService;
    hooks: HookIntake;
    /** The latest intent of each team's pull-request preview. */
    previews: PreviewIndex;
  }
}

/** Sources of a team: create (secret shown once), list, read, delete. */
export class SourcesService {
  constructor(
    private readonly store: SourceStore,
    private readonly assertProject: (team: Team, projectId: string) => Promise<void>,
    private readonly redis: Redis,
  ) {}

  async create(team: Team, body: CreateSourceBody): Promise<{ source: SourceView; secret: string }> {
    const projects = body.kind === 'github' ? [body.projectId] : (body.projects ?? []);
    for (const projectId of projects) await this.assertProject(team, projectId);
    const created = await withRedis(this.redis, () => this.store.create(team.id, body));
    if (!created) throw new TooManySourcesError('Delete a source first');
    return created;
  }

  async list(team: Team): Promise<SourceView[]> {
    return (await withRedis(this.redis, () => this.store.list(team.id))).map(sourceView);
  }

  async get(team: Team, id: string): Promise<SourceView> {
    const record = await withRedis(this.redis, () => this.store.getForTeam(team.id, id));
    if (!record) throw new SourceNotFoundError(`No source ${id}`);
    return sourceView(record);
  }

  async delete(team: Team, id: string): Promise<void> {
    const record = await withRedis(this.redis, () => this.store.getForTeam(team.id, id));
    if (record?.fromTeamsFile) throw new SourceInTeamsFileError(`Source ${id} is written in the teams file: remove it there`);
    if (!(await withRedis(this.redis, () => this.store.delete(team.id, id)))) throw new SourceNotFoundError(`No source ${id}`);
  }
}

export interface SourcesPluginOptions {
  keyPrefix: string;
  secretBox: SecretBox;
  /** How long a hook delivery id (and its first answer) is kept, in seconds. Default 4 days (GitHub redelivers for 3). */
  hookDeliveryTtlSeconds?: number;
  /** Sources one team may have. Default 100. */
  maxSourcesPerTeam?: number;
  /** Sources of the teams file: written (and those removed from the file deleted) when the app is ready. Default none. */
  fileSources?: FileSources;
  now: () => Date;
}

/** Sources (`/v1/sources`) and the intake of their hook deliveries (`/v1/hooks/…`). */
export default fp<SourcesPluginOptions>(
  async (fastify, options) => {
    const store = new SourceStore(fastify.redis, {
      prefix: options.keyPrefix,
      secretBox: options.secretBox,
      now: options.now,
      ...(options.maxSourcesPerTeam === undefined ? {} : { maxSourcesPerTeam: options.maxSourcesPerTeam }),
    });
    const assertProject = async (team: Team, projectId: string) => {
      await fastify.projectScope.assertAllowed(team, projectId).catch((error: unknown) => {
        throw error instanceof ProjectNotFoundError ? new ProjectNotFoundError(`No project ${projectId} for this team`) : error;
      });
    };
    fastify.decorate('sources', new SourcesService(store, assertProject, fastify.redis));
    const fileSources = options.fileSources;
    if (fileSources) {
      // At start, with Redis: the file is the truth for its sources (a failure stops the start, loudly).
      fastify.addHook('onReady', async () => {
        const kept = new Map<string, Set<string>>(fileSources.teamIds.map((id) => [id, new Set<string>()]));
        for (const { teamId, source, secret, githubToken } of fileSources.sources) {
          const id = await store.putFromFile(teamId, source, { secret, ...(githubToken ? { githubToken } : {}) });
          kept.get(teamId)?.add(id);
        }
        for (const [teamId, ids] of kept) {
          const gone = await store.pruneFromFile(teamId, ids);
          if (gone.length > 0) fastify.log.info({ teamId, sources: gone }, 'sources removed from the teams file deleted');
        }
        if (fileSources.sources.length > 0) fastify.log.info({ sources: fileSources.sources.map((s) => `${s.teamId}/${s.source.id}`) }, 'sources of the teams file stored');
      });
    }
    const previews = new PreviewIndex(fastify.redis, { prefix: options.keyPrefix });
    // Post-backs to GitHub (run by the workers): a `pending` status as soon as a delivery is accepted.
    const postBacks = new Queue<PostBackJobData>(GITHUB_POST_BACK_QUEUE, {
      connection: fastify.queueRedis,
      prefix: bullPrefix(options.keyPrefix),
      defaultJobOptions: { ...POST_BACK_JOB_OPTIONS, backoff: { ...POST_BACK_JOB_OPTIONS.backoff } },
    });
    postBacks.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'github post-back queue error'));
    fastify.addHook('onClose', async () => {
      await closeHandshaken(postBacks);
    });
    fastify.decorate('previews', previews);
    fastify.decorate(
      'hooks',
      new HookIntake({
        redis: fastify.redis,
        prefix: options.keyPrefix,
        sources: store,
        teams: fastify.teams,
        intents: fastify.intents,
        pullRequests: new PullRequestStates(fastify.redis, { prefix: options.keyPrefix }),
        previews,
        postBack: async (intentId) => {
          await postBacks.add('post', { intentId }, { jobId: postBackJobId(intentId, 'queued') });
        },
        deliveries: new IdempotencyStore(fastify.redis, { ttlSeconds: options.hookDeliveryTtlSeconds ?? 4 * 86_400 }),
        log: fastify.log,
      }),
    );
  },
  { name: 'sources', dependencies: ['redis', 'auth', 'project-scope', 'intents-service'] },
);
