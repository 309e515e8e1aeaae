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
import os from 'node:os';
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
  /**
   * Neon calls and intents ended in each whole minute from the enqueue, as long as the minute
   * ends before 90 % of the intents ended (the tail, where few projects still have work, is
   * left out). Neon's limit holds in every 60 s window, so no such minute can exceed it.
   */
  minutes: Array<{ calls: number; ended: number }>;
  calls: number;
  byStatus: Record<string, number>;
  /** The worker process's CPU time (user + system) over the measure, in ms. */
  cpuMs: number;
  /** Load average (1 min) at the end: the machine is shared. */
  load: number;
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
    const cpuBefore = (await worker.usage()).cpu;
    const started = Date.now();
    const ids = await enqueueBranchCreates(redis, prefix, targets, { endpoint: true });
    let records: IntentRecord[] = [];
    let last = 0;
    /** Cumulative Neon calls and ended intents, sampled while waiting. */
    const samples: Array<{ at: number; calls: number; ended: number }> = [];
    await until(
      async () => {
        records = await finished(ids);
        samples.push({ at: Date.now(), calls: sim.control.counters().total, ended: records.length });
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
    const cpuAfter = (await worker.usage()).cpu;
    const ends = records.map((r) => Date.parse(r.finishedAt ?? r.updatedAt)).sort((a, b) => a - b);
    const t10 = percentile(ends, 10);
    const t90 = percentile(ends, 90);
    const middle = ends.filter((t) => t > t10 && t <= t90).length;
    // The last sample at or before a time (the counters only grow).
    const at = (t: number) => [...samples].reverse().find((x) => x.at <= t) ?? { at: started, calls: 0, ended: 0 };
    const minutes: Measured['minutes'] = [];
    for (let k = 0; started + (k + 1) * 60_000 <= t90; k++) {
      const a = at(started + k * 60_000);
      const b = at(started + (k + 1) * 60_000);
      minutes.push({ calls: b.calls - a.calls, ended: b.ended - a.ended });
    }
    return {
      label,
      intents: ids.length,
      succeeded: records.filter((r) => r.status === 'succeeded').length,
      spanMs: (ends.at(-1) ?? started) - started,
      steadyPerMin: t90 > t10 ? (middle / (t90 - t10)) * 60_000 : 0,
      minutes,
      calls: counters.total,
      byStatus: counters.byStatus,
      cpuMs: (cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system) / 1000,
      load: os.loadavg()[0] ?? 0,
    };
  } finally {
    await worker?.stop();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

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
      metric: `share of the ${options.perMinute}/min budget used${tag}, whole minutes`,
      value: m.minutes.length > 0 ? `${((mean(m.minutes.map((x) => x.calls)) / options.perMinute) * 100).toFixed(1)} %` : 'n/a',
      note:
        m.minutes.length > 0
          ? `aim ≥ 90 %; calls per minute ${m.minutes.map((x) => x.calls).join(', ')}; intents ${m.minutes.map((x) => x.ended).join(', ')} (each whole minute from the enqueue until 90 % ended)`
          : 'run shorter than a minute',
    },
    {
      part,
      metric: `share of the budget used${tag}, whole run`,
      value: `${((callsPerMin / options.perMinute) * 100).toFixed(1)} %`,
      note: `${fmt.int(callsPerMin)} calls/min from the enqueue to the last end (a rolling window lets a run of a few minutes average above the limit), ${(m.calls / m.intents).toFixed(2)} calls per intent; ${m.byStatus['429'] ?? 0} × 429, ${m.byStatus['423'] ?? 0} × 423 (aim 0, 0)`,
    },
    {
      part,
      metric: `worker CPU${tag}`,
      value: `${((m.cpuMs / m.spanMs) * 100).toFixed(0)} % of a core`,
      note: `${(m.cpuMs / m.intents).toFixed(1)} ms per intent; load average ${m.load.toFixed(1)} at the end (2 cores)`,
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
