/**
 * Part 7 — pull request previews: the time from a signed `pull_request.opened` delivery
 * (`POST /v1/hooks/github/:sourceId`, signed `X-Hub-Signature-256` as GitHub signs) to the
 * preview branch being ready (its `preview.ensure` intent's `finishedAt`) and to the CI
 * receiver getting the completion event, with simulator operations of about 2 s
 * (`create_branch` then `start_compute`); and the Neon calls each preview costs (the
 * simulator's counters). The API runs in this process (`buildApp`), the worker in a child
 * process. PRs open one after another on one project; the first runs before the worker has
 * learned the batch's duration (it starts with `OPERATION_PRIORS=neon`, as against Neon).
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildApp, hashToken, TeamDirectory } from '@neonops/api';
import { IntentStore, SecretBox } from '@neonops/intents';
import { startNeonSimulator } from '@neonops/neon-sim';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { createProjects, simClient, WorkerProcess } from '../service.js';
import { fmt, percentile, until } from '../stats.js';
import type { Row } from '../table.js';

export interface PreviewsOptions {
  /** Pull requests opened (one after another). Default 10. */
  prs: number;
  /** Running time of each simulator operation in ms. Default 2000. */
  operationMs: number;
}

const TEAM = 'bench-previews';
const TOKEN = 'bench-previews-token';

/** The fields of a `pull_request.opened` delivery the intake reads, for PR `number`. */
function openedPayload(number: number): string {
  const repo = { id: 4242, name: 'shop', full_name: 'acme/shop', owner: { login: 'acme' } };
  return JSON.stringify({
    action: 'opened',
    number,
    pull_request: {
      number,
      state: 'open',
      updated_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      head: { ref: `feature-${number}`, sha: createHmac('sha1', 'x').update(String(number)).digest('hex'), repo },
      base: { ref: 'main', repo },
    },
    repository: repo,
  });
}

export async function runPreviews(ctx: BenchContext, options: PreviewsOptions): Promise<Row[]> {
  const prefix = ctx.prefix('previews');
  const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  const redis = new Redis(ctx.redisUrl);
  const receiver = await startReceiver();
  const store = new IntentStore(redis, { prefix });
  let worker: WorkerProcess | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  try {
    const [projectId] = await createProjects(simClient(sim), 1);
    const env = WorkerProcess.env(ctx.redisUrl, prefix, sim, { OPERATION_PRIORS: 'neon', WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32', PREVIEW_SWEEP_INTERVAL_MS: '86400000' });
    worker = await WorkerProcess.spawn(env);
    await worker.start();
    app = await buildApp({
      redis: { url: ctx.redisUrl },
      keyPrefix: prefix,
      teams: new TeamDirectory([{ id: TEAM, tokenHashes: [hashToken(TOKEN)], projects: [projectId as string], limits: { maxActiveIntents: 10_000 } }]),
      secretBox: new SecretBox(env.SECRETS_KEY as string),
      neon: { apiKey: sim.apiKey, baseUrl: sim.url },
      webhooks: { allowCidrs: ['127.0.0.1/32'] },
      probeNeon: async () => ({ ok: true }),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${await res.text()}`);
      return res.json() as Promise<{ id: string; secret: string; hookPath: string }>;
    };
    await call('/v1/webhooks', { url: `${receiver.url}/ci`, events: ['intent.succeeded'] });
    const source = await call('/v1/sources', { kind: 'github', projectId, repositories: ['acme/shop'] });
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: options.operationMs });
    sim.control.resetCounters();

    const ready: number[] = [];
    const received: number[] = [];
    let failed = 0;
    for (let i = 0; i < options.prs; i++) {
      const body = openedPayload(100 + i);
      const t0 = Date.now();
      const res = await fetch(`${base}${source.hookPath}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'pull_request',
          'x-github-delivery': `bench-${prefix}-${i}`,
          'x-hub-signature-256': `sha256=${createHmac('sha256', source.secret).update(body).digest('hex')}`,
        },
        body,
      });
      const answer = (await res.json()) as { intentId?: string };
      if (res.status !== 202 || !answer.intentId) throw new Error(`delivery answered ${res.status}: ${JSON.stringify(answer)}`);
      await receiver.waitFor(i + 1, 120_000);
      await until(async () => ['succeeded', 'failed'].includes((await store.get(answer.intentId!))?.status ?? ''), 'the preview intent', 120_000, 20);
      const record = await store.get(answer.intentId);
      if (record?.status !== 'succeeded') failed++;
      ready.push(Date.parse(record?.finishedAt ?? '') - t0);
      received.push((receiver.received[i]?.at ?? NaN) - t0);
    }
    const counters = sim.control.counters();
    const byRoute = Object.entries(counters.byRoute)
      .map(([route, statuses]) => [route, Object.values(statuses).reduce((a, b) => a + b, 0)] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([route, n]) => `${route} ${(n / options.prs).toFixed(1)}`)
      .join(', ');
    const warmReady = ready.slice(1).sort((a, b) => a - b);
    const warmReceived = received.slice(1).sort((a, b) => a - b);
    const part = '7 previews';
    const ops = `operations ${options.operationMs} ms`;
    return [
      { part, metric: 'delivery → branch ready, first PR (cold worker)', value: fmt.ms(ready[0] ?? NaN), note: `${ops}; received by CI at ${fmt.ms(received[0] ?? NaN)}` },
      {
        part,
        metric: `delivery → branch ready, p50 (max) of ${warmReady.length} PRs`,
        value: fmt.ms(percentile(warmReady, 50)),
        note: `max ${fmt.ms(warmReady.at(-1) ?? NaN)}; 2 operations ≈ ${fmt.ms(2 * options.operationMs)}`,
      },
      { part, metric: 'delivery → completion event received, p50 (max)', value: fmt.ms(percentile(warmReceived, 50)), note: `max ${fmt.ms(warmReceived.at(-1) ?? NaN)}` },
      { part, metric: 'Neon calls per preview (branch + compute)', value: (counters.total / options.prs).toFixed(1), note: `${options.prs} PRs, ${failed} failed; ${byRoute}` },
    ];
  } finally {
    await app?.close();
    await worker?.stop();
    await receiver.close();
    redis.disconnect();
    await sim.close();
    await ctx.cleanup(prefix);
  }
}
