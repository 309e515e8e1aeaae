import { randomBytes } from 'node:crypto';
import {
  previewEnsureResultSchema,
  previewTeardownResultSchema,
  previewTriggerSchema,
  type IntentRecord,
  type IntentStore,
  type PullRequestStates,
  type SourceStore,
} from '@neonops/intents';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { releaseIfHolder } from '../lock-holder.js';
import { GitHubClient } from './client.js';

/** The commit status context previews post under. */
export const STATUS_CONTEXT = 'neonops/preview';

/** Another post-back of the same pull request holds its lock: the job is tried again later. */
export class PostBackBusyError extends Error {
  readonly code = 'post_back_busy';
  constructor() {
    super('Another post-back of this pull request is running');
    this.name = 'PostBackBusyError';
  }
}

export interface PreviewPostBackDeps {
  redis: Redis;
  keyPrefix: string;
  store: IntentStore;
  sources: SourceStore;
  pullRequests: PullRequestStates;
  /** GitHub's API base (`GITHUB_API_URL`). */
  apiUrl: string;
  logger: Logger;
  /** Default global `fetch`. */
  fetch?: typeof fetch;
  /** How long the comment id of a pull request is remembered, in s. Default 30 days. */
  commentTtlSeconds?: number;
}

/** What a post-back did with an intent. */
export type PostBackOutcome =
  | { posted: { status?: 'pending' | 'success' | 'failure' | 'error'; comment: 'created' | 'updated' } }
  | { skipped: 'not_a_preview' | 'intent_gone' | 'no_token' | 'no_repository' | 'source_gone' | 'superseded' };

const paramsSchema = z.looseObject({ pullRequest: previewTriggerSchema });

/**
 * Posts a preview intent's state to its pull request: a commit status on the head SHA
 * (`preview.ensure` only: pending while it runs, success or failure at the end) and one
 * comment per pull request, found by a hidden marker and edited in place. It posts what the
 * record says *now*, so running it twice, late or out of order is harmless: an intent whose
 * event is older than the PR's newest known event posts nothing (the newer intent does).
 * Runs under a short per-PR lock so two jobs never both create the comment.
 */
export class PreviewPostBack {
  constructor(private readonly deps: PreviewPostBackDeps) {}

  async post(intentId: string): Promise<PostBackOutcome> {
    const record = await this.deps.store.get(intentId);
    if (!record) return { skipped: 'intent_gone' };
    if (record.kind !== 'preview.ensure' && record.kind !== 'preview.teardown') return { skipped: 'not_a_preview' };
    const pr = paramsSchema.parse(record.params).pullRequest;
    if (!pr.repository) return { skipped: 'no_repository' };
    const source = await this.deps.sources.get(pr.sourceId);
    if (source?.kind !== 'github' || source.teamId !== record.teamId) return { skipped: 'source_gone' };
    const token = this.deps.sources.githubTokenOf(source);
    if (!token) return { skipped: 'no_token' };
    const newest = await this.deps.pullRequests.get(pr);
    if (newest && newest.updatedAt > Date.parse(pr.updatedAt)) return { skipped: 'superseded' };

    const github = new GitHubClient({ baseUrl: this.deps.apiUrl, token, ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}) });
    const ref = `${pr.sourceId}:${pr.repositoryId}:${pr.number}`;
    return this.locked(ref, async () => {
      const view = describe(record);
      let status: 'pending' | 'success' | 'failure' | 'error' | undefined;
      if (record.kind === 'preview.ensure' && pr.headSha) {
        status = view.status;
        await github.createStatus(pr.repository!, pr.headSha, { state: view.status, context: STATUS_CONTEXT, description: view.description });
      }
      const comment = await this.upsertComment(github, ref, pr.repository!, pr.number, commentBody(pr.sourceId, record, view));
      return { posted: { ...(status ? { status } : {}), comment } };
    });
  }

  private async upsertComment(github: GitHubClient, ref: string, repository: string, number: number, body: string): Promise<'created' | 'updated'> {
    const key = `${this.deps.keyPrefix}github:comment:${ref}`;
    const ttl = this.deps.commentTtlSeconds ?? 30 * 86_400;
    const known = await this.deps.redis.get(key);
    let id = known === null ? await github.findComment(repository, number, marker(ref.split(':')[0]!)) : Number(known);
    if (id !== undefined) {
      try {
        await github.updateComment(repository, id, body);
        if (known === null) await this.deps.redis.set(key, String(id), 'EX', ttl);
        return 'updated';
      } catch (error) {
        // Deleted by someone on GitHub: make a new one.
        if (!(error instanceof Error && 'status' in error && error.status === 404)) throw error;
      }
    }
    id = await github.createComment(repository, number, body);
    await this.deps.redis.set(key, String(id), 'EX', ttl);
    return 'created';
  }

  private locked<T>(ref: string, run: () => Promise<T>): Promise<T> {
    // 60 s bounds a lock whose holder died; a post-back makes at most a few calls of ≤ 10 s.
    return underPostBackLock(this.deps.redis, `${this.deps.keyPrefix}github:lock:${ref}`, 60_000, run);
  }
}

/**
 * Runs `run` while holding the lock `key` (a random token with a TTL of `ttlMs`, so a dead
 * holder's lock frees itself), or throws {@link PostBackBusyError} when another holds it.
 * The lock is released afterwards only if this run still holds it: a run that outlived its
 * TTL never frees the lock another run took since.
 */
export async function underPostBackLock<T>(redis: Redis, key: string, ttlMs: number, run: () => Promise<T>): Promise<T> {
  const token = randomBytes(12).toString('base64url');
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') throw new PostBackBusyError();
  try {
    return await run();
  } finally {
    await releaseIfHolder(redis, key, token).catch(() => undefined);
  }
}

/** The hidden marker that finds our comment among a PR's comments. */
export const marker = (sourceId: string): string => `<!-- neonops:preview source=${sourceId} -->`;

interface View {
  status: 'pending' | 'success' | 'failure' | 'error';
  /** ≤ 140 characters (GitHub's limit for a status description). */
  description: string;
  headline: string;
  branch?: string;
  host?: string;
}

/** What the record says, in words; never a password or connection URI (those are only in the sealed secrets). */
function describe(record: IntentRecord): View {
  if (record.status === 'queued' || record.status === 'running') {
    return record.kind === 'preview.ensure'
      ? { status: 'pending', description: 'Preparing the preview database', headline: '⏳ Preview database: being prepared' }
      : { status: 'pending', description: 'Deleting the preview database', headline: '⏳ Preview database: being deleted' };
  }
  if (record.status === 'cancelled') return { status: 'error', description: 'Preview database: intent cancelled', headline: '⚪ Preview database: cancelled' };
  if (record.status === 'failed') {
    const code = record.error?.code ?? 'failed';
    return { status: 'failure', description: `Preview database failed (${code})`.slice(0, 140), headline: `❌ Preview database: failed (\`${code}\`)` };
  }
  if (record.kind === 'preview.teardown') {
    const result = previewTeardownResultSchema.safeParse(record.result);
    const skipped = result.success && result.data.action === 'skipped';
    return skipped
      ? { status: 'success', description: 'Preview kept: the pull request was reopened', headline: '✅ Preview database: kept (pull request reopened)' }
      : { status: 'success', description: 'Preview database deleted', headline: '🗑️ Preview database: deleted' };
  }
  const result = previewEnsureResultSchema.safeParse(record.result);
  if (!result.success || result.data.action === 'skipped' || !result.data.branch) {
    return { status: 'success', description: 'No preview: the pull request is closed', headline: '⚪ Preview database: not made (pull request closed)' };
  }
  const branch = result.data.branch.name;
  const host = result.data.endpoints[0]?.host;
  return {
    status: 'success',
    description: `Preview database ready: ${branch}`.slice(0, 140),
    headline: `✅ Preview database: ready (${result.data.action})`,
    branch,
    ...(host ? { host } : {}),
  };
}

function commentBody(sourceId: string, record: IntentRecord, view: View): string {
  const pr = paramsSchema.parse(record.params).pullRequest;
  const rows = [
    ['Branch', view.branch ? `\`${view.branch}\`` : `\`${String(record.params.name)}\``],
    ...(view.host ? [['Host', `\`${view.host}\``]] : []),
    ['Commit', pr.headSha ? `\`${pr.headSha.slice(0, 7)}\`` : '—'],
    ['Intent', `\`${record.id}\` (${record.kind}, ${record.status})`],
  ];
  return [
    marker(sourceId),
    `### ${view.headline}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '<sub>The connection string is not posted here: CI reads it from the completion webhook (`include_secrets`) or `neonops previews wait`.</sub>',
  ].join('\n');
}
