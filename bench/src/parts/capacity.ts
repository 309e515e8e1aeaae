/**
 * Part 3 — capacity: 10,000 `branch.create` intents (each with an endpoint: two operations
 * of 60 s each in the simulator) parked in one worker process while their operations run;
 * the worker's RSS then, and how soon a new intent on another project (instant operations)
 * starts and finishes while they wait. The 10,000 are enqueued with `addBulk`, each on its
 * own project (Neon locks a project while its operations run).
 *
 * The simulator runs on a manual clock, so the 10,000 operations stay pending however long
 * parking takes on a loaded machine. The worker first sees one such batch finish (the
 * clock is advanced past it), as a long-running worker would have: it then expects such a
 * batch to take 2 × `operationMs` and polls a parked intent only then (at most 5 minutes
 * later: the engine's `pollExpectMaxMs`), instead of every few seconds. Parking must take
 * less real time than that, or the first parked intents become overdue while the sim
 * clock stands still and poll in vain (they still end parked; the figures then show the polls).
 */
const progress = (message: string) => console.error(`[bench] capacity: ${message}`);
import { bullPrefix, IntentStore, INTENTS_QUEUE } from '@neonops/intents';
import { createManualClock, startNeonSimulator } from '@neonops/neon-sim';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { createProjects, enqueueBranchCreates, simClient, WorkerProcess } from '../service.js';
import { fmt, percentile, until } from '../stats.js';
import type { Row } from '../table.js';

export interface CapacityOptions {
  /** Intents parked. Default 10000. */
  intents: number;
  /** Running time of each operation in ms. Default 60000. */
  operationMs: number;
  /** New instant intents timed while the others wait, one after another. Default 5. */
  probes: number;
  /** Worker environment overrides (e.g. OPERATION_POLL_MAX_MS). Default none. */
  workerEnv: Record<string, string>;
}

export async function runCapacity(ctx: BenchContext, options: CapacityOptions): Promise<Row[]> {
  const prefix = ctx.prefix('capacity');
  const clock = createManualClock(Date.now());
  const sim = await startNeonSimulator({ clock, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  const redis = new Redis(ctx.redisUrl);
  const store = new IntentStore(redis, { prefix });
  const queue = new Queue(INTENTS_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  let worker: WorkerProcess | undefined;
  try {
    const t0 = performance.now();
    const projects = await createProjects(simClient(sim), options.intents + options.probes + 1, 32);
    const setupSeconds = (performance.now() - t0) / 1000;
    progress(`${projects.length} projects in ${setupSeconds.toFixed(0)} s`);
    const [learnProject, ...rest] = projects as [string, ...string[]];
    const parkedProjects = rest.slice(0, options.intents);
    const probeProjects = rest.slice(options.intents);

    worker = await WorkerProcess.spawn(WorkerProcess.env(ctx.redisUrl, prefix, sim, options.workerEnv));
    await worker.start();
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: options.operationMs });
    // One batch seen to the end first, so that the worker knows how long such a batch takes.
    const [learnId] = await enqueueBranchCreates(redis, prefix, [learnProject], { endpoint: true });
    await until(async () => (await store.get(learnId as string))?.status === 'waiting', 'the first intent to wait', 60_000, 10);
    clock.advance(2 * options.operationMs + 1);
    await until(async () => (await store.get(learnId as string))?.status === 'succeeded', 'the first intent to finish', 60_000, 20);

    progress('the worker has seen one batch to its end');
    const idle = await worker.usage();
    const memoryBefore = await redisUsedMemory(redis);
    const t1 = performance.now();
    await enqueueBranchCreates(redis, prefix, parkedProjects, { endpoint: true });
    // Parked = every job delayed (none waiting or active): its branch POST made, checkpointed.
    await until(
      async () => {
        const counts = await queue.getJobCounts('delayed', 'wait', 'active');
        return (counts.delayed ?? 0) >= options.intents && counts.wait === 0 && counts.active === 0;
      },
      `${options.intents} intents to be parked`,
      900_000,
      250,
    );
    const parkSeconds = (performance.now() - t1) / 1000;
    progress(`${options.intents} parked in ${parkSeconds.toFixed(0)} s`);
    const parked = await worker.usage();
    const memoryParked = await redisUsedMemory(redis);
    const pendingOperations = sim.control.state().operations.filter((op) => op.status !== 'finished').length;

    // Poll traffic while they wait: operation GETs over a few seconds.
    sim.control.resetCounters();
    const tPolls = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 5000));

    // New intents on other projects, with instant operations, one after another.
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: 0 });
    const startMs: number[] = [];
    const finishMs: number[] = [];
    for (const projectId of probeProjects) {
      const [id] = await enqueueBranchCreates(redis, prefix, [projectId], { endpoint: true });
      const created = Date.now();
      await until(async () => {
        const record = await store.get(id as string);
        return record?.status === 'succeeded' || record?.status === 'failed';
      }, 'a probe intent', 120_000, 10);
      const record = await store.get(id as string);
      startMs.push(Date.parse(record?.startedAt ?? '') - created);
      finishMs.push(Date.parse(record?.finishedAt ?? '') - created);
    }
    const counters = sim.control.counters();
    const pollSeconds = (performance.now() - tPolls) / 1000;
    const polls = Object.entries(counters.byRoute)
      .filter(([route]) => route.startsWith('GET') && route.includes('/operations'))
      .reduce((sum, [, byStatus]) => sum + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
    const stillParked = (await queue.getJobCounts('delayed')).delayed ?? 0;
    startMs.sort((a, b) => a - b);
    finishMs.sort((a, b) => a - b);
    return [
      {
        part: '3 capacity',
        metric: `worker RSS with ${fmt.int(options.intents)} intents waiting`,
        value: fmt.mb(parked.rss),
        note: `before ${fmt.mb(idle.rss)}; Redis +${fmt.mb(memoryParked - memoryBefore)}; ${fmt.int(pendingOperations)} operations pending, ${options.operationMs / 1000} s each (2 per intent)`,
      },
      {
        part: '3 capacity',
        metric: `time to park ${fmt.int(options.intents)} (POST + checkpoint + delay)`,
        value: `${parkSeconds.toFixed(1)} s`,
        note: `${fmt.int(options.intents / parkSeconds)}/s; worker CPU ${fmt.ms((parked.cpu.user + parked.cpu.system - idle.cpu.user - idle.cpu.system) / 1000 / options.intents)}/intent; setup ${setupSeconds.toFixed(0)} s`,
      },
      {
        part: '3 capacity',
        metric: `new intent while they wait: started after (${options.probes} probes)`,
        value: fmt.ms(percentile(startMs, 50)),
        note: `max ${fmt.ms(startMs[startMs.length - 1] ?? 0)}`,
      },
      {
        part: '3 capacity',
        metric: 'new intent while they wait: finished after',
        value: fmt.ms(percentile(finishMs, 50)),
        note: `max ${fmt.ms(finishMs[finishMs.length - 1] ?? 0)}; ${fmt.int(stillParked)} still parked; ${fmt.int(polls / pollSeconds)} operation polls/s meanwhile`,
      },
    ];
  } finally {
    await worker?.stop();
    await queue.close();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}

async function redisUsedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}
