import { randomUUID } from 'node:crypto';
import { startDemoStack } from './demo-stack.js';
import type { DemoConfig } from './config.js';
import { fetchApi } from './fetch-api.js';
import { startVerifyingReceiver } from './receiver.js';

interface IntentView {
  id: string;
  status: string;
  steps: { name: string; status: string }[];
  result?: {
    branch?: { id: string; name: string };
    endpoints?: { id: string; host: string; type: string }[];
  };
  secrets?: unknown;
  error?: { code: string; message: string };
}

export interface DemoOptions {
  /** Where the story is told. */
  write: (line: string) => void;
  /** The environment handed to a started stack (API and worker parse their settings from it). */
  env: Record<string, string | undefined>;
}

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The whole story in one run: a stack on the simulator (or a running API), a receiver that
 * verifies with `standardwebhooks`, a subscription, a `branch.create` intent with an endpoint,
 * its progress, and the verified completion webhook with the branch and its connection host.
 * Resolves when it is told; throws when something in the story fails.
 */
export async function runDemo(config: DemoConfig, options: DemoOptions): Promise<void> {
  const say = options.write;
  const closers: (() => Promise<void>)[] = [];
  try {
    let apiUrl = config.DEMO_API_URL;
    let token = config.DEMO_TOKEN;
    let projectId = config.DEMO_PROJECT_ID;
    if (apiUrl) say(`Reusing the API at ${apiUrl}`);
    else {
      say('Starting the stack: Neon simulator, worker and API (webhooks may go to 127.0.0.1 in this run)…');
      const stack = await startDemoStack(config.REDIS_URL, options.env);
      closers.push(() => stack.close());
      apiUrl = stack.apiUrl;
      token = stack.demoToken;
      projectId = stack.demoProjectId;
      say(`  API ${apiUrl}, simulator ${stack.neonBaseUrl}, demo project ${projectId}`);
    }
    if (!token || !projectId) throw new Error('no team token or project to use');

    const api = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> => {
      const res = await fetchApi(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = res.text;
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    };

    const receiver = await startVerifyingReceiver();
    closers.push(() => receiver.close());
    say(`\nReceiver listening on ${receiver.url} (verifies every request with the standardwebhooks package)`);

    const subscription = await api<{ id: string; secret: string; events: string[] }>('POST', '/v1/webhooks', {
      url: receiver.url,
      events: ['intent.*'],
      description: 'pnpm demo',
    });
    closers.unshift(async () => {
      await api('DELETE', `/v1/webhooks/${subscription.id}`).catch(() => undefined);
    });
    receiver.setSecret(subscription.secret);
    say(`Subscribed ${subscription.id} to ${subscription.events.join(', ')}; signing secret whsec_… (shown once, kept by the receiver)`);

    await api('POST', `/v1/webhooks/${subscription.id}/test`);
    const ping = await receiver.next('ping', 30_000);
    say(`  ping received and verified (webhook-id ${ping.id})`);

    const name = `demo-${Date.now().toString(36)}`;
    const intent = await api<IntentView>(
      'POST',
      '/v1/intents',
      { kind: 'branch.create', params: { projectId, name, endpoints: [{ type: 'read_write' }] } },
      { 'idempotency-key': randomUUID() },
    );
    say(`\nSubmitted branch.create "${name}" on ${projectId}: intent ${intent.id}`);

    let last = '';
    let current = intent;
    const deadline = Date.now() + config.DEMO_TIMEOUT_MS;
    while (!terminal.has(current.status)) {
      if (Date.now() > deadline) throw new Error(`intent ${intent.id} still ${current.status} after ${config.DEMO_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 250));
      current = await api<IntentView>('GET', `/v1/intents/${intent.id}`);
      const line = `  ${current.status.padEnd(9)} ${current.steps.map((s) => `${s.name}:${s.status}`).join('  ')}`;
      if (line !== last) say(line);
      last = line;
    }
    if (current.status !== 'succeeded') throw new Error(`intent ${current.status}: ${current.error?.code} ${current.error?.message}`);

    const event = await receiver.next('intent.succeeded', 30_000);
    const data = event.payload.data as unknown as IntentView;
    const endpoint = data.result?.endpoints?.[0];
    say('\nWebhook received and verified with standardwebhooks:');
    say(`  webhook-id   ${event.id} (${event.signatures} signature${event.signatures === 1 ? '' : 's'})`);
    say(`  type         ${event.payload.type} at ${event.payload.timestamp}`);
    say(`  intent       ${data.id} (${data.status})`);
    say(`  branch       ${data.result?.branch?.name} (${data.result?.branch?.id})`);
    say(`  host         ${endpoint?.host ?? '—'} (${endpoint?.type ?? 'no endpoint'} ${endpoint?.id ?? ''})`);
    say(`  arrived      ${event.receivedAt - Date.parse(event.payload.timestamp)} ms after the intent ended`);
    say(`  secrets      ${data.secrets === undefined ? 'not included (subscribe with include_secrets: true to receive connection URIs)' : 'included'}`);

    const log = await api<{ items: { eventType: string; status: string; attempts: { responseStatus?: number; latencyMs: number }[] }[] }>(
      'GET',
      `/v1/webhooks/${subscription.id}/deliveries`,
    );
    say('\nDelivery log (GET /v1/webhooks/:id/deliveries):');
    for (const d of log.items) {
      say(`  ${d.eventType.padEnd(16)} ${d.status.padEnd(9)} ${d.attempts.map((a) => `${a.responseStatus ?? 'no answer'} in ${a.latencyMs} ms`).join(', ')}`);
    }
    if (receiver.rejected > 0) throw new Error(`${receiver.rejected} request(s) did not verify`);
    say('\nDone.');
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
