/**
 * The crash-point harness: the API and the worker each in a process of their own (so a
 * test can SIGKILL, SIGSTOP or replace them), the simulator in process, a webhook receiver
 * that counts what reaches it, and the checks that matter after any crash — no duplicate
 * Neon resource, no intent left unfinished, no event lost or sent twice.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corePrefix, createRedis, SecretBox } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { spawnProcess, waitUntil, type SpawnedProcess } from '@neonops/testing';
import { onTestFinished } from 'vitest';
import { apiClient } from '../test-client.js';

const require = createRequire(import.meta.url);

/** One POST a receiver got: the subscription (its path), the message id and the intent. */
export interface Arrival {
  path: string;
  messageId: string;
  intentId: string;
  type: string;
}

export interface CrashHarness {
  sim: NeonSimulator;
  projectId: string;
  token: string;
  redisUrl: string;
  keyPrefix: string;
  /** Every webhook POST received (all subscriptions). */
  arrivals: Arrival[];
  /** Subscription paths (`/s0`, `/s1`, …), one subscription each. */
  subscriptionPaths: string[];
  /** Starts the API process; `crashAt` makes it kill itself at that point. Resolves with its URL. */
  startApi(crashAt?: string): Promise<{ url: string; process: SpawnedProcess }>;
  /** Starts a worker process (`CRASH_AT` / `PAUSE_AT` via `env`). Resolves once it is ready. */
  startWorker(env?: Record<string, string>): Promise<SpawnedProcess>;
  /** Subscribes every receiver path to `intent.*` through the API. */
  subscribe(apiUrl: string): Promise<void>;
  /** Waits until the intent is finished and every subscription got its event; returns the intent. */
  waitForOutcome(apiUrl: string, intentId: string): Promise<{ status: string }>;
  /** Live branches of the test project named `name` in the simulator. */
  branchesNamed(name: string): number;
  /** Unfinished intents in Redis (the deployment's active index). */
  activeIntents(): Promise<number>;
}

export interface CrashHarnessOptions {
  /** Redis for the processes. Default: the test run's Redis (`redisUrl`). */
  redisUrl: string;
  keyPrefix: string;
  /** Subscriptions to make. Default 3. */
  subscriptions?: number;
}

/** Builds the harness; everything it starts is stopped when the test ends. */
export async function startCrashHarness(options: CrashHarnessOptions): Promise<CrashHarness> {
  const sim = await startNeonSimulator({ operations: { schedulingMs: 5, runningMs: 30 } });
  onTestFinished(() => sim.close());
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
  const created = await neon.createProject({ project: { name: 'crash-tests' } });
  sim.control.fastForward();
  const projectId = created.project.id;

  const token = `nop_${randomBytes(24).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'neonops-crash-'));
  const teamsFile = join(dir, 'teams.yaml');
  writeFileSync(
    teamsFile,
    `teams:\n  - id: demo\n    tokenHashes: ["${createHash('sha256').update(token).digest('hex')}"]\n    projects: ["${projectId}"]\n`,
  );

  const arrivals: Arrival[] = [];
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { type: string; data: { id: string } };
      arrivals.push({ path: req.url ?? '', messageId: String(req.headers['webhook-id']), intentId: body.data.id, type: body.type });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const subscriptionPaths = Array.from({ length: options.subscriptions ?? 3 }, (_, i) => `/s${i}`);

  const env: Record<string, string> = {
    REDIS_URL: options.redisUrl,
    KEY_PREFIX: options.keyPrefix,
    NEON_API_KEY: sim.apiKey,
    NEON_BASE_URL: sim.url,
    SECRETS_KEY: SecretBox.generateKey(),
    TEAMS_FILE: teamsFile,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    OPERATION_POLL_MS: '20',
    // A dead worker's job, project lock and outbox events are taken over quickly.
    JOB_LOCK_DURATION_MS: '1500',
    STALLED_INTERVAL_MS: '500',
    PROJECT_LOCK_TTL_MS: '1500',
    OUTBOX_RECLAIM_IDLE_MS: '500',
    SWEEP_INTERVAL_MS: '300',
    SWEEP_GRACE_MS: '300',
    INTENT_BACKOFF_MS: '100',
    INTENT_BACKOFF_MAX_MS: '1000',
    SHUTDOWN_TIMEOUT_MS: '2000',
  };

  const harness: CrashHarness = {
    sim,
    projectId,
    token,
    redisUrl: options.redisUrl,
    keyPrefix: options.keyPrefix,
    arrivals,
    subscriptionPaths,
    async startApi(crashAt) {
      const child = spawnProcess(require.resolve('@neonops/api/test/api-process'), { ...env, ...(crashAt ? { CRASH_AT: crashAt } : {}) });
      await child.waitForOutput('api-process ready');
      const url = /api-process ready (\S+)/.exec(child.output())?.[1];
      if (!url) throw new Error(`no API url in: ${child.output()}`);
      return { url, process: child };
    },
    async startWorker(extra = {}) {
      const child = spawnProcess(require.resolve('@neonops/worker/test/worker-process'), { ...env, ...extra });
      await child.waitForOutput('worker-process ready');
      return child;
    },
    async subscribe(apiUrl) {
      const api = apiClient(apiUrl, token);
      for (const path of subscriptionPaths) {
        const made = await api.request('POST', '/v1/webhooks', { url: `${receiverUrl}${path}`, events: ['intent.*'] });
        if (made.status !== 201) throw new Error(`subscribe: ${made.status} ${JSON.stringify(made.body)}`);
      }
    },
    async waitForOutcome(apiUrl, intentId) {
      const view = await apiClient(apiUrl, token).waitForEnd(intentId, 60_000);
      await waitUntil(() => subscriptionPaths.every((p) => arrivals.some((a) => a.path === p && a.intentId === intentId)), {
        timeoutMs: 30_000,
        what: () => `every subscription got the event of ${intentId} (got ${JSON.stringify(arrivals.filter((a) => a.intentId === intentId))})`,
      });
      return view;
    },
    branchesNamed(name) {
      return sim.control.state().branches.filter((b) => b.projectId === projectId && b.name === name && !b.deletedAt).length;
    },
    async activeIntents() {
      const redis = createRedis(options.redisUrl, { maxRetriesPerRequest: 1 });
      try {
        return await redis.zcard(`${corePrefix(options.keyPrefix)}intents:active`);
      } finally {
        redis.disconnect();
      }
    },
  };
  return harness;
}

/** How many distinct messages each subscription got for `intentId`, and how many POSTs in all. */
export function deliveriesOf(arrivals: readonly Arrival[], intentId: string): { distinctPerPath: Map<string, number>; total: number } {
  const mine = arrivals.filter((a) => a.intentId === intentId);
  const distinctPerPath = new Map<string, number>();
  for (const path of new Set(mine.map((a) => a.path))) {
    distinctPerPath.set(path, new Set(mine.filter((a) => a.path === path).map((a) => a.messageId)).size);
  }
  return { distinctPerPath, total: mine.length };
}
