import { PreviewNameError, renderPreviewName, type IntentRequest, type PullRequestRef, type SourceRecord } from '@neonops/intents';
import type { PullRequestEvent } from '@octokit/webhooks-types';
import { z } from 'zod';
import { PreviewNameInvalidError, RepositoryNotBoundError } from '../errors.js';

type GithubSource = Extract<SourceRecord, { kind: 'github' }>;

const repo = z.looseObject({ id: z.number().int().positive(), full_name: z.string().min(1), name: z.string().min(1), owner: z.looseObject({ login: z.string() }) });

/**
 * The fields of a `pull_request` event this service reads, checked before use; the event
 * is then typed as `@octokit/webhooks-types`' `PullRequestEvent`.
 */
export const pullRequestEventSchema = z.looseObject({
  action: z.string().min(1),
  number: z.number().int().positive(),
  pull_request: z.looseObject({
    state: z.enum(['open', 'closed']),
    updated_at: z.iso.datetime({ offset: true }),
    head: z.looseObject({ ref: z.string(), sha: z.string(), repo: repo.nullable() }),
    base: z.looseObject({ ref: z.string(), repo }),
  }),
  repository: repo,
});

/** Actions that change a preview; every other action is answered `200` and ignored. */
export const HANDLED_ACTIONS = ['opened', 'reopened', 'ready_for_review', 'synchronize', 'closed'] as const;

/** What a delivery comes to: an intent for one pull request, or nothing (with why). */
export type PullRequestDecision =
  | { ignore: 'action_not_handled' | 'fork_not_allowed' }
  | { request: IntentRequest; pr: PullRequestRef; state: { state: 'open' | 'closed'; updatedAt: number; headSha: string } };

/**
 * Turns a verified `pull_request` event into the intent it asks for, by the source's rule:
 * opened / reopened / ready_for_review → `preview.ensure`; synchronize → `preview.ensure`
 * with `reset` per `resetOnPush` (else the expiry is extended); closed → `preview.teardown`.
 * Throws `RepositoryNotBoundError` for a repository the source does not bind and
 * `PreviewNameInvalidError` when the template gives no usable name.
 */
export function decidePullRequest(source: GithubSource, event: PullRequestEvent): PullRequestDecision {
  const repository = event.repository;
  if (!source.repositories.includes(repository.full_name.toLowerCase())) {
    throw new RepositoryNotBoundError(`${repository.full_name} is not one of this source's repositories`);
  }
  if (!(HANDLED_ACTIONS as readonly string[]).includes(event.action)) return { ignore: 'action_not_handled' };
  const pull = event.pull_request;
  // A head repository that is gone (a deleted fork) counts as a fork.
  const fork = pull.head.repo?.id !== pull.base.repo.id;
  if (fork && !source.preview.allowForks) return { ignore: 'fork_not_allowed' };

  let name: string;
  try {
    name = renderPreviewName(source.preview.nameTemplate, {
      number: String(event.number),
      head_ref: pull.head.ref,
      base_ref: pull.base.ref,
      repo: repository.name,
      owner: repository.owner.login,
      sha: pull.head.sha.slice(0, 7),
    });
  } catch (error) {
    if (error instanceof PreviewNameError) throw new PreviewNameInvalidError(error.message);
    throw error;
  }

  const pr: PullRequestRef = { sourceId: source.id, repositoryId: repository.id, number: event.number };
  const pullRequest = { ...pr, updatedAt: pull.updated_at, headSha: pull.head.sha, repository: repository.full_name };
  const closed = event.action === 'closed';
  const state = { state: closed ? ('closed' as const) : ('open' as const), updatedAt: Date.parse(pull.updated_at), headSha: pull.head.sha };
  if (closed) return { pr, state, request: { kind: 'preview.teardown', params: { projectId: source.projectId, name, pullRequest } } };
  const rule = source.preview;
  return {
    pr,
    state,
    request: {
      kind: 'preview.ensure',
      params: {
        projectId: source.projectId,
        name,
        ...(rule.parent ? { parent: { name: rule.parent } } : {}),
        endpoints: rule.endpoint ? [rule.endpoint] : [],
        ttlSeconds: rule.ttlSeconds,
        reset: event.action === 'synchronize' && rule.resetOnPush,
        ...(rule.database ? { database: rule.database } : {}),
        pullRequest,
        onFailure: 'delete',
      },
    },
  };
}
