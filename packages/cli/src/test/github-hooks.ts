import { createHmac, randomUUID } from 'node:crypto';
import type { RunningStack } from '@neonops/stack';

export interface GithubSource {
  id: string;
  secret: string;
  repo: string;
}

/** Binds `repo` to the demo project as a GitHub source (previews with a compute, the API's default rule). */
export async function createGithubSource(stack: RunningStack, repo = 'octo-org/app'): Promise<GithubSource> {
  const res = await fetch(`${stack.apiUrl}/v1/sources`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'github', projectId: stack.demoProjectId, repositories: [repo], preview: { ttlSeconds: 3600 } }),
  });
  if (res.status !== 201) throw new Error(`POST /v1/sources: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { id: string; secret: string };
  return { id: body.id, secret: body.secret, repo };
}

export interface PullRequestChange {
  action: 'opened' | 'synchronize' | 'closed' | 'reopened';
  number: number;
  sha: string;
  /** The PR's `updated_at`, ms; default now. Later events must be later. */
  updatedAt?: number;
}

/**
 * Sends a `pull_request` delivery as GitHub does: the JSON body signed with the source's
 * secret (`X-Hub-Signature-256`), with the fields the API reads. Returns the accepted intent id.
 */
export async function deliverPullRequest(stack: RunningStack, source: GithubSource, change: PullRequestChange): Promise<string> {
  const [owner, name] = source.repo.split('/') as [string, string];
  const repository = { id: 4242, full_name: source.repo, name, owner: { login: owner } };
  const payload = {
    action: change.action,
    number: change.number,
    pull_request: {
      number: change.number,
      state: change.action === 'closed' ? 'closed' : 'open',
      updated_at: new Date(change.updatedAt ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      head: { ref: `feature-${change.number}`, sha: change.sha, repo: repository },
      base: { ref: 'main', repo: repository },
    },
    repository,
  };
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', source.secret).update(body).digest('hex')}`;
  const res = await fetch(`${stack.apiUrl}/v1/hooks/github/${source.id}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/cli-test',
      'x-github-event': 'pull_request',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': signature,
    },
    body,
  });
  const answer = (await res.json()) as { intentId?: string };
  if (res.status !== 202 || !answer.intentId) throw new Error(`hook answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer.intentId;
}

/** A 40-hex commit sha made of one repeated digit, e.g. `sha('a')`. */
export const sha = (digit: string): string => digit.repeat(40);
