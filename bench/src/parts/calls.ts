/**
 * Part 4 — Neon calls per `branch.create` with an endpoint when operations take about 2 s
 * (simulator timing: `create_branch` then `start_compute`, 2 s each), counted by the
 * simulator, and the latency added after the operations finish: the intent's `finishedAt`
 * minus the end of its last operation (from the simulator's state). The first intent of a
 * fresh worker process runs before the batch's duration is learned ("cold"); the rest after.
 */
import { IntentStore } from '@neonops/intents';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { createProjects, enqueueBranchCreates, simClient, WorkerProcess } from '../service.js';
import { fmt, until } from '../stats.js';
import type { Row } from '../table.js';

export interface CallsOptions {
  /** Intents measured after the first (cold) one, at once, each on its own project. Default 10. */
  intents: number;
  /** Running time of each operation in ms. Default 2000. */
  operationMs: number;
}

interface Measured {
  calls: number;
  byRoute: Record<string, number>;
  addedMs: number[];
  failed: number;
}

async function measure(sim: NeonSimulator, redis: Redis, prefix: string, projects: string[]): Promise<Measured> {
  const store = new IntentStore(redis, { prefix });
  sim.control.resetCounters();
  const ids = await enqueueBranchCreates(redis, prefix, projects, { endpoint: true });
  const done = async () => {
    const records = await Promise.all(ids.map((id) => store.get(id)));
    return records.every((r) => r?.status === 'succeeded' || r?.status === 'failed');
  };
  await until(done, 'the intents', 120_000, 20);
  const counters = sim.control.counters();
  const state = sim.control.state();
  const opEnds = new Map(state.operations.map((op) => [op.id, op.updatedAt]));
  const addedMs: number[] = [];
  let failed = 0;
  for (const id of ids) {
    const record = await store.get(id);
    if (record?.status !== 'succeeded') {
      failed++;
      continue;
    }
    const lastOpEnd = Math.max(...record.operationIds.map((op) => opEnds.get(op) ?? 0));
    addedMs.push(Date.parse(record.finishedAt ?? '') - lastOpEnd);
  }
  const byRoute: Record<string, number> = {};
  for (const [route, statuses] of Object.entries(counters.byRoute)) byRoute[route] = Object.values(statuses).reduce((a, b) => a + b, 0);
  return { calls: counters.total, byRoute, addedMs, failed };
}

export async function runCalls(ctx: BenchContext, options: CallsOptions): Promise<Row[]> {
  const prefix = ctx.prefix('calls');
  const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 } });
  const redis = new Redis(ctx.redisUrl);
  let worker: WorkerProcess | undefined;
  try {
    const projects = await createProjects(simClient(sim), options.intents + 1);
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: options.operationMs });
    worker = await WorkerProcess.spawn(WorkerProcess.env(ctx.redisUrl, prefix, sim));
    await worker.start();
    const cold = await measure(sim, redis, prefix, projects.slice(0, 1));
    const warm = await measure(sim, redis, prefix, projects.slice(1));
    const n = options.intents;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const routes = Object.entries(warm.byRoute)
      .map(([route, count]) => `${route.replace('/projects/{project_id}', '…')} ${(count / n).toFixed(1)}`)
      .join(', ');
    return [
      {
        part: '4 calls',
        metric: `Neon calls per branch.create + endpoint (${n}, ops ${options.operationMs / 1000} s each)`,
        value: (warm.calls / n).toFixed(1),
        note: `aim ≤ 4; ${routes}${warm.failed ? `; ${warm.failed} failed` : ''}`,
      },
      {
        part: '4 calls',
        metric: 'latency added after the last operation finished',
        value: fmt.ms(mean(warm.addedMs)),
        note: `aim ≤ 1 s; max ${fmt.ms(Math.max(...warm.addedMs))}`,
      },
      {
        part: '4 calls',
        metric: 'first intent of a fresh worker (nothing learned yet)',
        value: `${cold.calls} calls`,
        note: `${fmt.ms(mean(cold.addedMs))} added (doubling poll schedule)`,
      },
    ];
  } finally {
    await worker?.stop();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}
