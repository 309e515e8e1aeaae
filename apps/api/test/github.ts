import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { PullRequestEvent } from '@octokit/webhooks-types';
import type { InjectOptions } from 'fastify';

// The package's main is a JSON file: GitHub's own example payloads, collected by Octokit.
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

/** A real example payload of `event` (with `action`), deep-copied so tests may change it. */
export function example<T = PullRequestEvent>(event: string, action?: string): T {
  const found = definitions.find((d) => d.name === event)?.examples.find((e) => action === undefined || (e as { action?: string }).action === action);
  if (!found) throw new Error(`no example ${event}.${action ?? ''}`);
  return structuredClone(found) as T;
}

export interface PullRequestChange {
  action: string;
  number?: number;
  headRef?: string;
  /** The PR's updated_at (ms); default now. */
  updatedAt?: number;
  /** Make it a PR from a fork. */
  fork?: boolean;
}

/** GitHub's `pull_request` example for `action`, changed to the given PR number, head ref and time. */
export function pullRequestEvent(change: PullRequestChange): PullRequestEvent {
  const base = example('pull_request', change.action === 'synchronize' || change.action === 'closed' || change.action === 'reopened' ? change.action : 'opened');
  const event = { ...base, action: change.action } as PullRequestEvent;
  const number = change.number ?? event.number;
  event.number = number;
  event.pull_request.number = number;
  event.pull_request.state = change.action === 'closed' ? 'closed' : 'open';
  event.pull_request.updated_at = new Date(change.updatedAt ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (change.headRef !== undefined) event.pull_request.head.ref = change.headRef;
  if (change.fork && event.pull_request.head.repo) {
    event.pull_request.head.repo = { ...event.pull_request.head.repo, id: 999_999, full_name: 'forker/Hello-World' };
  }
  return event;
}

/** A signed GitHub delivery to `/v1/hooks/github/:sourceId`, headers as GitHub sends them. */
export async function githubDelivery(
  sourceId: string,
  secret: string,
  event: string,
  payload: unknown,
  options: { deliveryId?: string; body?: string; signature?: string | null } = {},
): Promise<InjectOptions> {
  const body = options.body ?? JSON.stringify(payload);
  const signature = options.signature === undefined ? await sign(secret, body) : options.signature;
  return {
    method: 'POST',
    url: `/v1/hooks/github/${sourceId}`,
    payload: body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/test',
      'x-github-event': event,
      'x-github-delivery': options.deliveryId ?? crypto.randomUUID(),
      ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
    },
  };
}
