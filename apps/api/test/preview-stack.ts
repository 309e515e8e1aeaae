import { Writable } from 'node:stream';
import { IntentStore, ProjectOwnership } from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import type { NeonSimulator } from '@neonops/neon-sim';
import { waitUntil } from '@neonops/testing';
import { DEFAULT_WEBHOOK_SETTINGS } from '@neonops/webhooks';
import { createIntentWorker, createLogger as createWorkerLogger, ProjectLock, startGitHubPostBack, startWorkerWebhooks, type GitHubPostBack } from '@neonops/worker';
import type { Logger } from 'pino';
import { expect, onTestFinished } from 'vitest';
import { hashToken } from '../src/teams/teams-file.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { githubDelivery } from './github.js';
import { buildTestApp, type TestApp } from './helper.js';

/**
 * The stack of the preview tests (previews, post-back, sweep): the API, an intent worker, the
 * post-back worker and a fake GitHub, on a new project of the given simulator.
 */
export const TOKEN = 'ghp_fakeToken4PostBack0123456789abcdefXYZ';
export interface Stack {
  t: TestApp;
  neon: NeonClient;
  projectId: string;
  /** The project's default branch. */
  mainId: string;
  store: IntentStore;
  logger: Logger;
  github: FakeGitHub;
  source: { id: string; secret: string };
  logs: string[];
  postBack: GitHubPostBack;
  /** Sends a signed GitHub `pull_request` delivery; returns the HTTP answer. */
  deliver(payload: unknown, options?: { deliveryId?: string }): Promise<{ statusCode: number; body: { outcome: string; intentId?: string; reason?: string } }>;
  /** Waits until the intent has ended and returns it as GET /v1/intents/:id shows it. */
  ended(id: string): Promise<{ status: string; result: Record<string, unknown>; error?: unknown; secrets?: { connectionUris: Array<{ uri: string }> } }>;
  /** Our comments on Codertocat/Hello-World#2. */
  comments(): Array<{ id: number; body: string }>;
  /** The project's live branches named `name`, as the simulator holds them. */
  branches(name: string): Array<{ id: string; restoredFrom?: string; expiresAt?: string }>;
}

export interface StackOptions {
  /** Run an intent worker. Default true. */
  intents?: boolean;
  /** The intent worker's concurrency. Default the worker's. */
  concurrency?: number;
  /** The source's GitHub token; null: none (nothing is posted back). Default {@link TOKEN}. */
  token?: string | null;
  /** The source's preview rule. Default the API's. */
  preview?: Record<string, unknown>;
  /** The team's cap on active intents. Default the API's. */
  maxActiveIntents?: number;
  /** Run the webhook relay and dispatcher, loopback receivers allowed. Default false. */
  webhooks?: boolean;
}

/** The API, an intent worker (unless `intents: false`), the post-back worker and a fake GitHub (and the webhooks with `webhooks`), on one project. */
export async function stack(sim: NeonSimulator, options: StackOptions = {}): Promise<Stack> {
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } });
  const { project, branch } = await neon.createProject({ project: { name: `post-back-${crypto.randomUUID().slice(0, 6)}` } });
  await waitUntil(async () => (await neon.listOperationsPage(project.id, { limit: 10 })).operations.every((o) => o.status === 'finished'));
  const github = await startFakeGitHub(TOKEN);
  onTestFinished(() => github.close());
  const allowCidrs = ['127.0.0.1/32'];
  const t = await buildTestApp({
    teams: [
      {
        id: 'alpha',
        tokenHashes: [hashToken('token-alpha')],
        projects: [project.id],
        ...(options.maxActiveIntents === undefined ? {} : { limits: { maxActiveIntents: options.maxActiveIntents } }),
      },
    ],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
    ...(options.webhooks ? { webhooks: { allowCidrs } } : {}),
    // Tests poll intents in a tight loop: far above a team's default 600 requests/min.
    teamRequestsPerMinute: 1_000_000,
  });
  const logs: string[] = [];
  const logger = createWorkerLogger({ level: 'debug', destination: new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }) });
  const connection = t.redis.connect();
  const store = new IntentStore(connection, { prefix: t.redis.prefix });
  if (options.intents !== false) {
    const worker = createIntentWorker({
      connection: () => t.redis.connect(),
      keyPrefix: t.redis.prefix,
      neon,
      store,
      secretBox: t.secretBox,
      projectLock: new ProjectLock(connection, { prefix: t.redis.prefix, ttlMs: 10_000 }),
      ownership: new ProjectOwnership(connection, { prefix: t.redis.prefix }),
      logger,
      settings: { pollInitialMs: 20, pollMaxMs: 200, backoffMs: 50, backoffMaxMs: 500 },
      ...(options.concurrency === undefined ? {} : { options: { concurrency: options.concurrency } }),
    });
    onTestFinished(() => worker.close(5000));
  }
  // What the webhooks and the post-back each take from the stack.
  const shared = { connection: () => t.redis.connect(), redis: t.redis.connect(), keyPrefix: t.redis.prefix, store, secretBox: t.secretBox, logger };
  if (options.webhooks) {
    const webhooks = await startWorkerWebhooks({ ...shared, settings: { ...DEFAULT_WEBHOOK_SETTINGS, allowCidrs, retryScheduleMs: [0, 10] } });
    onTestFinished(() => webhooks.close());
  }
  const postBack = await startGitHubPostBack({ ...shared, apiUrl: github.url, job: { backoffMs: 20 } });
  onTestFinished(() => postBack.close());
  const token = options.token === undefined ? TOKEN : options.token;
  const created = await t.as('alpha', {
    method: 'POST',
    url: '/v1/sources',
    payload: {
      kind: 'github',
      projectId: project.id,
      repositories: ['Codertocat/Hello-World'],
      ...(token === null ? {} : { githubToken: token }),
      ...(options.preview ? { preview: options.preview } : {}),
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  const source = created.json() as { id: string; secret: string };
  return {
    t,
    neon,
    projectId: project.id,
    mainId: branch.id,
    store,
    logger,
    github,
    source,
    logs,
    postBack,
    async deliver(payload, deliveryOptions = {}) {
      const res = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', payload, deliveryOptions));
      return { statusCode: res.statusCode, body: res.json() };
    },
    async ended(id) {
      return waitUntil(
        async () => {
          const view = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}` })).json();
          return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
        },
        // Bounded by the test's own timeout rather than a guess at speed: 50 previews of one project run one at a time (its lock).
        { timeoutMs: 110_000, what: () => `intent ${id} to end; worker logs:\n${logs.slice(-5).join("")}` },
      );
    },
    comments: () => github.comments.get('codertocat/hello-world#2') ?? [],
    branches: (name) =>
      sim.control
        .state()
        .branches.filter((b) => b.projectId === project.id && b.name === name && !b.deletedAt)
        .map((b) => ({ id: b.id, ...(b.restoredFrom ? { restoredFrom: b.restoredFrom } : {}), ...(b.expiresAt ? { expiresAt: String(b.expiresAt) } : {}) })),
  };
}

