import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { startDemoStack } from './demo-stack.js';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import type { DemoConfig } from './config.js';
import { fetchApi } from './fetch-api.js';
import type { DemoOptions } from './demo.js';
import { startVerifyingReceiver } from './receiver.js';

// The package's main is a JSON file: GitHub's own example payloads, collected by Octokit.
const definitions = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: { state: string; updated_at: string; head: { ref: string; sha: string } };
  repository: { full_name: string };
}

interface IntentView {
  id: string;
  kind: string;
  status: string;
  steps: { name: string; status: string }[];
  result?: { action?: string; branch?: { id: string; name: string }; endpoints?: { host: string }[] };
  error?: { code: string; message: string };
}

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/** GitHub's example `pull_request` delivery for `action`, dated `updatedAt`. */
function pullRequestExample(action: 'opened' | 'closed', updatedAt: Date): PullRequestPayload {
  const found = definitions.find((d) => d.name === 'pull_request')?.examples.find((e) => (e as { action?: string }).action === action);
  if (!found) throw new Error(`@octokit/webhooks-examples has no pull_request.${action}`);
  const payload = structuredClone(found) as unknown as PullRequestPayload;
  payload.pull_request.state = action === 'closed' ? 'closed' : 'open';
  payload.pull_request.updated_at = updatedAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return payload;
}

/** Hides the password of a connection URI. */
const masked = (uri: string): string => uri.replace(/(\/\/[^:/@]+:)[^@]+@/, '$1********@');

/**
 * `pnpm demo:preview`: a database branch per pull request, in one run against the simulator.
 * A stack (simulator, worker, API), a CI receiver verifying with `standardwebhooks`, a GitHub
 * source; a signed `pull_request.opened` delivery (GitHub's example payload, signed with
 * `@octokit/webhooks-methods` as GitHub does) makes the preview branch, the receiver gets the
 * verified completion event with its host and connection URI, a signed `closed` deletes it.
 * Throws when any part of the story fails.
 */
export async function runPreviewDemo(config: DemoConfig, options: DemoOptions): Promise<void> {
  const say = options.write;
  const closers: (() => Promise<void>)[] = [];
  try {
    say('Starting the stack: Neon simulator, worker and API…');
    const stack = await startDemoStack(config.REDIS_URL, options.env);
    closers.push(() => stack.close());
    const apiUrl = stack.apiUrl;
    const projectId = stack.demoProjectId;
    if (!projectId) throw new Error('the stack made no demo project');
    say(`  API ${apiUrl}, simulator ${stack.neonBaseUrl}, project ${projectId}`);

    const call = async <T>(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: T }> => {
      const res = await fetchApi(`${apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
      const text = res.text;
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      return { status: res.status, json: (text === '' ? undefined : JSON.parse(text)) as T };
    };
    const auth = { authorization: `Bearer ${stack.demoToken}` };
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
      (await call<T>(method, path, body === undefined ? undefined : JSON.stringify(body), { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) })).json;

    // CI's side: a receiver of the team's completion webhooks, with connection URIs.
    const receiver = await startVerifyingReceiver();
    closers.unshift(() => receiver.close());
    const subscription = await api<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: receiver.url, events: ['intent.*'], include_secrets: true, description: 'pnpm demo:preview (CI)' });
    receiver.setSecret(subscription.secret);
    say(`\nCI receiver on ${receiver.url}, subscribed (${subscription.id}) with include_secrets`);

    const example = pullRequestExample('opened', new Date());
    const repository = example.repository.full_name;
    const source = await api<{ id: string; secret: string; hookPath: string }>('POST', '/v1/sources', {
      kind: 'github',
      name: 'demo',
      projectId,
      repositories: [repository],
      preview: { ttlSeconds: 86_400, endpoint: { type: 'read_write', suspendTimeoutSeconds: 300 } },
    });
    say(`GitHub source ${source.id} for ${repository} → project ${projectId}; GitHub's webhook goes to ${apiUrl}${source.hookPath} with its secret`);

    const deliver = async (payload: PullRequestPayload): Promise<{ outcome: string; intentId?: string }> => {
      const body = JSON.stringify(payload);
      const delivery = randomUUID();
      const res = await call<{ outcome: string; intentId?: string }>('POST', source.hookPath, body, {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/demo',
        'x-github-event': 'pull_request',
        'x-github-delivery': delivery,
        'x-hub-signature-256': await sign(source.secret, body),
      });
      say(`  delivery ${delivery.slice(0, 8)}… (pull_request.${payload.action}, signed X-Hub-Signature-256) → ${res.status} ${JSON.stringify(res.json)}`);
      return res.json;
    };
    const follow = async (intentId: string): Promise<IntentView> => {
      let last = '';
      const deadline = Date.now() + config.DEMO_TIMEOUT_MS;
      for (;;) {
        // The API's long-poll answers when the intent ends (or after 5 s with its progress).
        const current = await api<IntentView>('GET', `/v1/intents/${intentId}?wait=5`);
        const line = `    ${current.status.padEnd(9)} ${current.steps.map((s) => `${s.name}:${s.status}`).join('  ')}`;
        if (line !== last) say(line);
        last = line;
        if (terminal.has(current.status)) {
          if (current.status !== 'succeeded') throw new Error(`intent ${current.status}: ${current.error?.code} ${current.error?.message}`);
          return current;
        }
        if (Date.now() > deadline) throw new Error(`intent ${intentId} still ${current.status} after ${config.DEMO_TIMEOUT_MS} ms`);
      }
    };
    const branchNames = async (): Promise<string[]> => (await api<{ branches: { name: string }[] }>('GET', `/v1/projects/${projectId}/branches`)).branches.map((b) => b.name);

    say(`\nPull request #${example.number} (${example.pull_request.head.ref}) opens on ${repository}:`);
    const opened = await deliver(example);
    if (!opened.intentId) throw new Error(`the opened delivery made no intent (${opened.outcome})`);
    const ensure = await follow(opened.intentId);
    const name = ensure.result?.branch?.name;
    say(`  preview.ensure ${ensure.result?.action}: branch ${name} (${ensure.result?.branch?.id})`);
    if (!name || !(await branchNames()).includes(name)) throw new Error(`branch ${name} is not in the project`);

    const event = await receiver.next('intent.succeeded', 30_000);
    const data = event.payload.data as { id: string; kind: string; result?: IntentView['result']; secrets?: { connectionUris?: { uri: string }[] } };
    say('\nCI receiver got the completion event, verified with standardwebhooks:');
    say(`  webhook-id   ${event.id}`);
    say(`  type         ${event.payload.type} (${data.kind}, intent ${data.id})`);
    say(`  branch       ${data.result?.branch?.name}`);
    say(`  host         ${data.result?.endpoints?.[0]?.host ?? '—'}`);
    say(`  DATABASE_URL ${data.secrets?.connectionUris?.[0] ? masked(data.secrets.connectionUris[0].uri) : '— (not included)'}`);
    if (data.kind !== 'preview.ensure' || !data.result?.endpoints?.[0]?.host) throw new Error('the completion event does not carry the preview and its host');

    say(`\nPull request #${example.number} is closed:`);
    const closed = await deliver(pullRequestExample('closed', new Date(Date.now() + 1000)));
    if (!closed.intentId) throw new Error(`the closed delivery made no intent (${closed.outcome})`);
    const teardown = await follow(closed.intentId);
    say(`  preview.teardown ${String((teardown.result as { action?: string } | undefined)?.action)}`);
    if ((await branchNames()).includes(name)) throw new Error(`branch ${name} is still there`);
    say(`  branch ${name} is gone from project ${projectId}`);
    if (receiver.rejected > 0) throw new Error(`${receiver.rejected} request(s) did not verify`);
    say('\nDone.');
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
