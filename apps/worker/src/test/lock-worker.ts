/**
 * An in-process worker on a test harness with its own project-lock TTL and handlers, for
 * the lock tests (the harness's `startWorker` fixes both). Built from the same pieces.
 */
import { Writable } from 'node:stream';
import { IntentStore, ProjectOwnership } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { onTestFinished } from 'vitest';
import type { EngineSettings, HandlerMap, WorkerHooks } from '../engine/run-intent.js';
import { createLogger } from '../logger.js';
import { ProjectLock } from '../project-lock.js';
import { RedisRateBudget } from '../rate-budget.js';
import { createIntentWorker } from '../worker.js';
import { FAST_SETTINGS, type Harness } from './harness.js';

export interface LockWorkerOptions {
  /** Project lock TTL in ms (renewed every TTL/3 while a mutating step runs). */
  lockTtlMs: number;
  settings?: Partial<EngineSettings>;
  handlers?: HandlerMap;
  hooks?: WorkerHooks;
  /** Per-attempt Neon timeout in ms. Default 10000 (tests slow requests down on purpose). */
  timeoutMs?: number;
}

/** Starts the worker (closed when the test ends); its logs go to `h.logs`. */
export function startLockWorker(h: Harness, options: LockWorkerOptions) {
  const connection = h.redis.connect();
  const budget = new RedisRateBudget(connection, { prefix: h.redis.prefix });
  const lock = new ProjectLock(connection, { prefix: h.redis.prefix, ttlMs: options.lockTtlMs });
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      h.logs.push(chunk.toString());
      done();
    },
  });
  const worker = createIntentWorker({
    connection: () => h.redis.connect(),
    keyPrefix: h.redis.prefix,
    neon: createNeonClient({
      apiKey: h.sim.apiKey,
      baseUrl: h.sim.url,
      rateBudget: budget,
      retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, maxElapsedMs: 5000 },
      timeoutMs: options.timeoutMs ?? 10_000,
    }),
    store: new IntentStore(connection, { prefix: h.redis.prefix }),
    secretBox: h.box,
    projectLock: lock,
    ownership: new ProjectOwnership(connection, { prefix: h.redis.prefix }),
    logger: createLogger({ level: 'debug', destination }),
    settings: { ...FAST_SETTINGS, ...options.settings },
    options: { concurrency: 4 },
    ...(options.handlers ? { handlers: options.handlers } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  onTestFinished(() => worker.close(5000));
  return { worker, budget, lock };
}
