/**
 * Part 6 — the Neon rate budget, fully used: `branch.create` intents (one read-write endpoint
 * each) queued at once across many projects, against a simulator that enforces Neon's limits
 * (700 requests per rolling minute per account, 40 per second per route: 429 beyond) with
 * operations of about 2 s each, and one worker process whose shared budget is set to the same
 * 700/min. Shows intents completed per minute, Neon calls per intent, the share of the budget
 * used, 429s and 423s — for this tree and, in the same run, for a worker of a baseline commit
 * (A/B), each on a fresh simulator and key prefix.
 *
 * Before the measure, a few intents teach the worker the batch duration (a long-running
 * deployment has learned it; part 4 shows the first intent of a fresh one); then the
 * simulator's rate windows and counters are cleared.
 */
import { IntentStore, type IntentRecord } from '@neonops/intents';
import { startNeonSimulator } from '@neonops/neon-sim';
import { Redis } from 'ioredis';
import { baselineWorktree } from '../baseline.js';
import type { BenchContext } from '../context.js';
import { createProjects, enqueueBranchCreates, simClient, WorkerProcess } from '../service.js';
import { fmt, percentile, until } from '../stats.js';
import type { Row } from '../table.js';

export interface BudgetOptions {
  /** `branch.create` intents queued at once. Default 1000 (`--quick` 200). */
  intents: number;
  /** Projects they are spread over (round robin). Default 100 (`--quick` 20). */
  projects: number;
  /** Running time of each operation in ms (a branch with an endpoint: two, one after another). Default 2000. */
  operationMs: number;
  /** Neon's account limit per rolling minute, in the simulator and the worker's budget. Default 700. */
  perMinute: number;
  /** A commit whose worker is measured the same way, after this tree's (`--budget-baseline`); none: not measured. */
  baselineRef?: string;
}

interface Measured {
  label: string;
  intents: number;
  succeeded: number;
  /** From the enqueue to the last intent's end, in ms. */
  spanMs: number;
  /** Intents per minute over the middle 80 % of completions (after the ramp, before the tail). */
  steadyPerMin: number;
  calls: number;
  byStatus: Record<string, number>;
}

async function measure(ctx: BenchContext, options: BudgetOptions, label: string, root?: string): Promise<Measured> {
  const prefix = ctx.prefix('budget');
  const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  const redis = new Redis(ctx.redisUrl);
  let worker: WorkerProcess | undefined;
  try {
    const projects = await createProjects(simClient(sim), options.projects);
    sim.control.setBranchesPerProject(Math.ceil(options.intents / options.projects) + 16);
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: options.operationMs });
    const env = WorkerProcess.env(ctx.redisUrl, prefix, sim, {
      NEON_RATE_PER_MINUTE: String(options.perMinute),
      NEON_RATE_PER_ROUTE_PER_SECOND: '40',
    });
    worker = await WorkerProcess.spawn(env, root);
    await worker.start();
    const store = new IntentStore(redis, { prefix });
    const finished = async (ids: string[]) => (await Promise.all(ids.map((id) => store.get(id)))).filter((r): r is IntentRecord => r !== undefined && ['succeeded', 'failed', 'cancelled'].includes(r.status));

    // Warm-up: the worker learns the batch duration (a cold first poll is part 4's subject).
    const warm = await enqueueBranchCreates(redis, prefix, projects.slice(0, 2), { endpoint: true });
    await until(async () => (await finished(warm)).length === warm.length, `${label}: warm-up`, 120_000, 100);

    sim.control.setRateLimit({ perMinute: options.perMinute, perRoutePerSecond: 40 });
    sim.control.resetCounters();
    const targets = Array.from({ length: options.intents }, (_, i) => projects[i % projects.length] as string);
    const started = Date.now();
    const ids = await enqueueBranchCreates(redis, prefix, targets, { endpoint: true });
    let records: IntentRecord[] = [];
    let last = 0;
    await until(
      async () => {
        records = await finished(ids);
        if (records.length >= last + options.intents / 10) {
          last = records.length;
          console.error(`[bench] budget ${label}: ${records.length}/${ids.length} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
        return records.length === ids.length;
      },
      `${label}: ${options.intents} intents`,
      30 * 60_000,
      500,
    );
    const counters = sim.control.counters();
    const ends = records.map((r) => Date.parse(r.finishedAt ?? r.updatedAt)).sort((a, b) => a - b);
    const t10 = percentile(ends, 10);
    const t90 = percentile(ends, 90);
    const middle = ends.filter((t) => t > t10 && t <= t90).length;
    return {
      label,
      intents: ids.length,
      succeeded: records.filter((r) => r.status === 'succeeded').length,
      spanMs: (ends.at(-1) ?? started) - started,
      steadyPerMin: t90 > t10 ? (middle / (t90 - t10)) * 60_000 : 0,
      calls: counters.total,
      byStatus: counters.byStatus,
    };
  } finally {
    await worker?.stop();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}

function rows(m: Measured, options: BudgetOptions, tag: string): Row[] {
  const minutes = m.spanMs / 60_000;
  const perMin = m.intents / minutes;
  const callsPerMin = m.calls / minutes;
  const part = '6 budget';
  return [
    {
      part,
      metric: `branch.create + endpoint completed per minute${tag} (${m.intents}, ${options.projects} projects)`,
      value: `${fmt.int(perMin)}/min`,
      note: `aim ≥ 300/min; steady state ${fmt.int(m.steadyPerMin)}/min; ${m.succeeded}/${m.intents} succeeded in ${(m.spanMs / 1000).toFixed(0)} s`,
    },
    {
      part,
      metric: `share of the ${options.perMinute}/min budget used${tag}`,
      value: `${((callsPerMin / options.perMinute) * 100).toFixed(1)} %`,
      note: `aim ≥ 90 %; ${fmt.int(callsPerMin)} calls/min, ${(m.calls / m.intents).toFixed(2)} calls per intent; ${m.byStatus['429'] ?? 0} × 429, ${m.byStatus['423'] ?? 0} × 423 (aim 0, 0)`,
    },
  ];
}

export async function runBudget(ctx: BenchContext, options: BudgetOptions): Promise<Row[]> {
  const now = await measure(ctx, options, 'now');
  const out = rows(now, options, '');
  if (options.baselineRef) {
    const root = baselineWorktree(options.baselineRef);
    const before = await measure(ctx, options, `before (${options.baselineRef})`, root);
    out.push(...rows(before, options, `, before (${options.baselineRef})`));
    const rate = (m: Measured) => m.intents / m.spanMs;
    out.push({
      part: '6 budget',
      metric: 'ratio intents per minute now / before',
      value: (rate(now) / rate(before)).toFixed(2),
      note: `steady state ${(now.steadyPerMin / Math.max(1, before.steadyPerMin)).toFixed(2)}; calls per intent ${(now.calls / now.intents).toFixed(2)} / ${(before.calls / before.intents).toFixed(2)}`,
    });
  }
  return out;
}
