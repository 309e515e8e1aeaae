/**
 * Test harness: a real Redis prefix (for store keys AND the BullMQ prefix), a real
 * simulator over HTTP, a real BullMQ queue filled the way the API fills it, and an
 * in-process worker built from the same dependencies main.ts uses.
 */
import { Writable } from 'node:stream';
import {
  bullPrefix,
  intentCatalog,
  IntentStore,
  INTENTS_QUEUE,
  isTerminalStatus,
  ProjectOwnership,
  queuedIntentRecord,
  SecretBox,
  type IntentKind,
  type IntentRecord,
  type ParamsOf,
} from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import { neonRequestId, observeNeonCalls } from '@neonops/observability';
import { startNeonSimulator, type NeonSimulator, type NeonSimulatorOptions } from '@neonops/neon-sim';
import { useTestRedis, waitUntil, type TestRedisContext } from '@neonops/testing';
import { Queue } from 'bullmq';
import { onTestFinished } from 'vitest';
import type { EngineSettings, WorkerHooks } from '../engine/run-intent.js';
import { createLogger } from '../logger.js';
import { ProjectLock } from '../project-lock.js';
import { RedisRateBudget } from '../rate-budget.js';
import { createIntentWorker, type IntentWorker, type IntentWorkerOptions } from '../worker.js';

export const TEST_SECRETS_KEY = SecretBox.generateKey();

/** Engine timing for tests: short polls and backoffs (the behaviour is the same, only faster). */
export const FAST_SETTINGS: Partial<EngineSettings> = { pollInitialMs: 20, pollMaxMs: 200, backoffMs: 50, backoffMaxMs: 500, maxAttempts: 8 };

export interface Harness {
  redis: TestRedisContext;
  sim: NeonSimulator;
  store: IntentStore;
  queue: Queue;
  box: SecretBox;
  /** A client for setup and checks (no rate budget). */
  neon: NeonClient;
  /** Everything the worker logged. */
  logs: string[];
  /** Starts an in-process worker; closed when the test ends. */
  startWorker(options?: {
    concurrency?: number;
    hooks?: WorkerHooks;
    settings?: Partial<EngineSettings>;
    worker?: IntentWorkerOptions;
    /** Expected batch durations before any was learned (as `OPERATION_PRIORS=neon` passes `neonPriorMs`). Default none. */
    priorMs?: (key: string) => number | undefined;
  }): {
    worker: IntentWorker;
    neon: NeonClient;
    budget: RedisRateBudget;
  };
  /** Creates the intent record and adds its job, as the API does. */
  enqueue<K extends IntentKind>(kind: K, params: unknown, teamId?: string): Promise<string>;
  /** Polls the store until the intent is terminal (or throws after `timeoutMs`). */
  waitForTerminal(id: string, timeoutMs?: number): Promise<IntentRecord>;
  /** Creates a project in the simulator for the test and waits until it is ready. */
  createProject(name?: string): Promise<{ projectId: string; branchId: string; endpointId: string }>;
}

export async function startHarness(options: { sim?: NeonSimulatorOptions } = {}): Promise<Harness> {
  const redis = useTestRedis('worker');
  const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 }, ...options.sim });
  const store = new IntentStore(redis.connect(), { prefix: redis.prefix });
  const queue = new Queue(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  const box = new SecretBox(TEST_SECRETS_KEY);
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const closers: Array<() => Promise<unknown>> = [];
  onTestFinished(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await queue.close();
    await sim.close();
  });

  return {
    redis,
    sim,
    store,
    queue,
    box,
    neon,
    logs,
    startWorker(opts = {}) {
      const connection = redis.connect();
      const budget = new RedisRateBudget(connection, { prefix: redis.prefix });
      const logger = createLogger({ level: 'debug', destination });
      const workerNeon = createNeonClient({
        apiKey: sim.apiKey,
        baseUrl: sim.url,
        rateBudget: budget,
        retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 5000 },
        timeoutMs: 5000,
        // As main.ts: calls logged with their intent, request ids derived from it, accepted changes noted per step.
        hooks: observeNeonCalls({ logger }),
        generateRequestId: () => neonRequestId(),
      });
      const worker = createIntentWorker({
        connection: () => redis.connect(),
        keyPrefix: redis.prefix,
        neon: workerNeon,
        store: new IntentStore(connection, { prefix: redis.prefix }),
        secretBox: box,
        projectLock: new ProjectLock(connection, { prefix: redis.prefix, ttlMs: 10_000 }),
        ownership: new ProjectOwnership(connection, { prefix: redis.prefix }),
        logger,
        settings: { ...FAST_SETTINGS, ...opts.settings },
        options: { concurrency: opts.concurrency ?? 4, ...opts.worker },
        ...(opts.hooks ? { hooks: opts.hooks } : {}),
        ...(opts.priorMs ? { priorMs: opts.priorMs } : {}),
      });
      closers.push(() => worker.close(5000));
      return { worker, neon: workerNeon, budget };
    },
    async enqueue(kind, params, teamId = 'team-a') {
      const parsed = intentCatalog[kind].params.parse(params) as ParamsOf<typeof kind>;
      const record = queuedIntentRecord({ teamId, kind, params: parsed as Record<string, unknown> });
      const outcome = await store.create(record);
      if (outcome !== 'created') throw new Error(`store.create: ${outcome}`);
      await queue.add(kind, { intentId: record.id, teamId, kind }, { jobId: record.id });
      return record.id;
    },
    async waitForTerminal(id, timeoutMs = 20_000) {
      let last: IntentRecord | undefined;
      return waitUntil(
        async () => {
          last = await store.get(id);
          return last && isTerminalStatus(last.status) ? last : undefined;
        },
        { timeoutMs, what: () => `intent ${id} finished (status ${last?.status})` },
      );
    },
    async createProject(name = 'test-project') {
      const created = await neon.createProject({ project: { name } });
      await neon.waitForOperations(
        created.project.id,
        created.operations.map((op) => op.id),
        { pollIntervalMs: 10, maxPollIntervalMs: 50 },
      );
      const endpoint = created.endpoints[0];
      if (!endpoint) throw new Error('simulator project without endpoint');
      return { projectId: created.project.id, branchId: created.branch.id, endpointId: endpoint.id };
    },
  };
}

/** Live (not deleted) resources of the simulator. */
export function live<T extends { deletedAt?: number }>(items: T[]): T[] {
  return items.filter((i) => i.deletedAt === undefined);
}
