/**
 * Part 2 — end to end: `branch.create` intents (one read-write endpoint each) completed per
 * second by one worker process (`startWorker`, default concurrency 16) against the in-process
 * simulator with instant operations and no rate limits, and the worker's CPU time per intent
 * (process.cpuUsage of the worker process, over the measured batch only).
 */
import { IntentStore } from '@neonops/intents';
import { startNeonSimulator } from '@neonops/neon-sim';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { createProjects, enqueueBranchCreates, simClient, WorkerProcess } from '../service.js';
import { fmt, until } from '../stats.js';
import type { Row } from '../table.js';
import { BENCH_TEAM } from '../teams.js';

export interface E2eOptions {
  /** Intents measured. Default 2000. */
  intents: number;
  /** Intents run first to warm the worker up (JIT, connections). Default 200. */
  warmup: number;
  /** Projects the intents are spread over (mutations on one project are serialized). Default 50. */
  projects: number;
}

export async function runE2e(ctx: BenchContext, options: E2eOptions): Promise<Row[]> {
  const prefix = ctx.prefix('e2e');
  const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false, branchesPerProject: 100_000 });
  const redis = new Redis(ctx.redisUrl);
  const store = new IntentStore(redis, { prefix });
  let worker: WorkerProcess | undefined;
  try {
    const projects = await createProjects(simClient(sim), options.projects);
    const spread = (n: number) => Array.from({ length: n }, (_, i) => projects[i % projects.length] as string);
    worker = await WorkerProcess.spawn(WorkerProcess.env(ctx.redisUrl, prefix, sim));
    await worker.start();
    const drained = (what: string) => until(async () => (await store.countActive(BENCH_TEAM)) === 0, what, 300_000, 20);

    await enqueueBranchCreates(redis, prefix, spread(options.warmup), { endpoint: true });
    await drained('the warm-up intents');

    const before = await worker.usage();
    const t0 = performance.now();
    const ids = await enqueueBranchCreates(redis, prefix, spread(options.intents), { endpoint: true });
    await drained('the measured intents');
    const seconds = (performance.now() - t0) / 1000;
    const after = await worker.usage();

    const records = await Promise.all(ids.map((id) => store.get(id)));
    const succeeded = records.filter((r) => r?.status === 'succeeded').length;
    const cpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    return [
      {
        part: '2 end to end',
        metric: `branch.create completed by 1 worker process (${options.intents})`,
        value: `${fmt.int(succeeded / seconds)}/s`,
        note: `${succeeded}/${options.intents} succeeded in ${seconds.toFixed(1)} s; instant operations, no limits`,
      },
      { part: '2 end to end', metric: 'worker CPU per intent (user+system)', value: fmt.ms(cpuMs / options.intents), note: `worker RSS ${fmt.mb(after.rss)}` },
    ];
  } finally {
    await worker?.stop();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}
