import { Writable } from 'node:stream';
import { IntentStore, ProjectOwnership } from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import type { NeonSimulator } from '@neonops/neon-sim';
import { waitUntil } from '@neonops/testing';
import { createIntentWorker, createLogger as createWorkerLogger, ProjectLock, startGitHubPostBack, type GitHubPostBack } from '@neonops/worker';
import type { Logger } from 'pino';
import { expect, onTestFinished } from 'vitest';
import { hashToken } from '../src/teams/teams-file.js';
import { startFakeGitHub, type FakeGitHub } from './fake-github.js';
import { githubDelivery } from './github.js';
import { buildTestApp, type TestApp } from './helper.js';

/**
 * The stack of the preview post-back and sweep tests: the API, an intent worker, the
 * post-back worker and a fake GitHub, on a new project of the given simulator.
 */
export const TOKEN = 'ghp_fakeToken4PostBack0123456789abcdefXYZ';
export interface Stack {
  t: TestApp;
  neon: NeonClient;
  projectId: string;
  store: IntentStore;
  logger: Logger;
  github: FakeGitHub;
  source: { id: string; secret: string };
  logs: string[];
  postBack: GitHubPostBack;
  deliver(payload: unknown): Promise<{ statusCode: number; body: { outcome: string; intentId?: string } }>;
  ended(id: string): Promise<{ status: string; result: Record<string, unknown>; secrets?: { connectionUris: Array<{ uri: string }> } }>;
  /** Our comments on Codertocat/Hello-World#2. */
  comments(): Array<{ id: number; body: string }>;
}

/** The API, an intent worker (unless `intents: false`), the post-back worker and a fake GitHub, on one project. */
export async function stack(sim: NeonSimulator, options: { intents?: boolean; token?: string | null } = {}): Promise<Stack> {
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } });
  const { project } = await neon.createProject({ project: { name: `post-back-${crypto.randomUUID().slice(0, 6)}` } });
  await waitUntil(async () => (await neon.listOperationsPage(project.id, { limit: 10 })).operations.every((o) => o.status === 'finished'));
  const github = await startFakeGitHub(TOKEN);
  onTestFinished(() => github.close());
  const t = await buildTestApp({
    teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [project.id] }],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
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
    });
    onTestFinished(() => worker.close(5000));
  }
  const postBack = await startGitHubPostBack({
    connection: () => t.redis.connect(),
    redis: t.redis.connect(),
    keyPrefix: t.redis.prefix,
    store,
    secretBox: t.secretBox,
    logger,
    apiUrl: github.url,
    job: { backoffMs: 20 },
  });
  onTestFinished(() => postBack.close());
  const token = options.token === undefined ? TOKEN : options.token;
  const created = await t.as('alpha', {
    method: 'POST',
    url: '/v1/sources',
    payload: { kind: 'github', projectId: project.id, repositories: ['Codertocat/Hello-World'], ...(token === null ? {} : { githubToken: token }) },
  });
  expect(created.statusCode, created.body).toBe(201);
  const source = created.json() as { id: string; secret: string };
  return {
    t,
    neon,
    projectId: project.id,
    store,
    logger,
    github,
    source,
    logs,
    postBack,
    async deliver(payload) {
      const res = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', payload));
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
  };
}

