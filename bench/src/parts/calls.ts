/**
 * Part 4 — Neon calls per `branch.create` with an endpoint when operations take about 2 s
 * (simulator timing: `create_branch` then `start_compute`, 2 s each), counted by the
 * simulator, and the latency added after the operations finish: the intent's `finishedAt`
 * minus the end of its last operation (from the simulator's state). The first intent of a
 * fresh worker process runs before the batch's duration is learned ("cold": the worker runs
 * with `OPERATION_PRIORS=neon`, as against Neon, since the simulator plays Neon's timing
 * here); the rest after. Then every other kind (but the preview kinds, which need a pull
 * request's state): calls per intent once its batch kind is learned (each kind runs twice,
 * the second is counted; operations of 300 ms, as the count does not depend on their length).
 */
import { bullPrefix, intentCatalog, IntentStore, INTENTS_QUEUE, queuedIntentRecord, type IntentKind, type IntentRecord } from '@neonops/intents';
import { Queue } from 'bullmq';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { Redis } from 'ioredis';
import type { BenchContext } from '../context.js';
import { createProjects, enqueueBranchCreates, simClient, WorkerProcess } from '../service.js';
import { BENCH_TEAM } from '../teams.js';
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
    worker = await WorkerProcess.spawn(WorkerProcess.env(ctx.redisUrl, prefix, sim, { OPERATION_PRIORS: 'neon' }));
    await worker.start();
    const cold = await measure(sim, redis, prefix, projects.slice(0, 1));
    const warm = await measure(sim, redis, prefix, projects.slice(1));
    sim.control.setOperationTiming({ schedulingMs: 0, runningMs: 300 });
    const kinds = await everyKind(sim, redis, prefix, projects[0] as string);
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
        note: `aim ≤ 2 (was 4.0); ${routes}${warm.failed ? `; ${warm.failed} failed` : ''}`,
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
        note: `aim ≤ 3 (was 8); ${fmt.ms(mean(cold.addedMs))} added; prior from Neon's typical durations, then the batch's own progress`,
      },
      ...kinds,
    ];
  } finally {
    await worker?.stop();
    await sim.close();
    redis.disconnect();
    await ctx.cleanup(prefix);
  }
}

/** Stores one intent and adds its job the way the API does; resolves with its end. */
async function runOne(redis: Redis, prefix: string, kind: IntentKind, params: unknown): Promise<IntentRecord> {
  const store = new IntentStore(redis, { prefix });
  const record = queuedIntentRecord({ teamId: BENCH_TEAM, kind, params: intentCatalog[kind].params.parse(params) as Record<string, unknown> });
  const id = record.id;
  if ((await store.create(record)) !== 'created') throw new Error(`could not store a ${kind} intent`);
  // BullMQ leaves a connection it was given open on close: the bench closes its own (it left one per intent, and the process never exited).
  const connection = redis.duplicate();
  const queue = new Queue(INTENTS_QUEUE, { connection, prefix: bullPrefix(prefix) });
  try {
    await queue.add(kind, { intentId: id, teamId: BENCH_TEAM, kind }, { jobId: id });
  } finally {
    await queue.close();
    connection.disconnect();
  }
  let done: IntentRecord | undefined;
  await until(async () => {
    done = await store.get(id);
    return done !== undefined && ['succeeded', 'failed', 'cancelled'].includes(done.status);
  }, `${kind} intent`, 60_000, 10);
  if (done?.status !== 'succeeded') throw new Error(`${kind} ended ${done?.status}: ${JSON.stringify(done?.error)}`);
  return done;
}

/**
 * Every kind but the previews, twice over (a learning pass, then a counted one), on one
 * project of the simulator: Neon calls per intent once its batch kind is known.
 */
async function everyKind(sim: NeonSimulator, redis: Redis, prefix: string, projectId: string): Promise<Row[]> {
  const mainId = sim.control.state().branches.find((b) => b.projectId === projectId && b.isDefault)?.id;
  if (!mainId) throw new Error('no default branch');
  const counted = new Map<string, number>();
  for (const pass of [0, 1]) {
    const run = async (label: string, kind: IntentKind, params: unknown) => {
      sim.control.resetCounters();
      const record = await runOne(redis, prefix, kind, params);
      if (pass === 1) counted.set(label, sim.control.counters().total);
      return record.result as Record<string, Record<string, unknown> | undefined>;
    };
    const project = await run('project.create', 'project.create', { name: `calls-${pass}` });
    const newProject = String(project.project?.id);
    await run('project.update', 'project.update', { projectId: newProject, name: `calls-${pass}-renamed` });
    const branch = await run('branch.create', 'branch.create', { projectId, name: `kinds-${pass}`, endpoints: [{ type: 'read_write' }] });
    const branchId = String(branch.branch?.id);
    await run('branch.create + role + database', 'branch.create', {
      projectId,
      name: `kinds-app-${pass}`,
      endpoints: [{ type: 'read_write' }],
      role: { name: 'app' },
      database: { name: 'appdb' },
    });
    await run('branch.update', 'branch.update', { projectId, branchId, name: `kinds-${pass}-renamed` });
    const ro = await run('endpoint.create', 'endpoint.create', { projectId, branchId, type: 'read_only' });
    const endpointId = String(ro.endpoint?.id);
    await run('endpoint.update', 'endpoint.update', { projectId, endpointId, suspendTimeoutSeconds: 600 });
    await run('endpoint.suspend', 'endpoint.suspend', { projectId, endpointId });
    await run('endpoint.start', 'endpoint.start', { projectId, endpointId });
    await run('endpoint.restart', 'endpoint.restart', { projectId, endpointId });
    await run('endpoint.delete', 'endpoint.delete', { projectId, endpointId });
    await run('role.create', 'role.create', { projectId, branchId, name: 'reporter' });
    await run('database.create', 'database.create', { projectId, branchId, name: 'reports', ownerName: 'reporter' });
    await run('database.update', 'database.update', { projectId, branchId, name: 'reports', newName: 'reports2' });
    await run('role.reset_password', 'role.reset_password', { projectId, branchId, name: 'reporter' });
    await run('database.delete', 'database.delete', { projectId, branchId, name: 'reports2' });
    await run('role.delete', 'role.delete', { projectId, branchId, name: 'reporter' });
    await run('branch.restore', 'branch.restore', { projectId, branchId, sourceBranchId: mainId, preserveUnderName: `kinds-${pass}-before` });
    await run('branch.delete', 'branch.delete', { projectId, branchId });
    const key = await run('api_key.create', 'api_key.create', { keyName: `calls-${pass}` });
    await run('api_key.revoke', 'api_key.revoke', { keyId: key.id });
    await run('project.delete', 'project.delete', { projectId: newProject });
  }
  const groups: Array<[string, (label: string) => boolean]> = [
    ['project, api key', (l) => l.startsWith('project.') || l.startsWith('api_key.')],
    ['branch', (l) => l.startsWith('branch.')],
    ['endpoint', (l) => l.startsWith('endpoint.')],
    ['role, database', (l) => l.startsWith('role.') || l.startsWith('database.')],
  ];
  return groups.map(([group, match]) => ({
    part: '4 calls',
    metric: `Neon calls per intent, ${group} kinds (batch learned)`,
    value: [...counted].filter(([l]) => match(l)).length.toString() + ' kinds',
    note: [...counted]
      .filter(([l]) => match(l))
      .map(([l, c]) => `${l} ${c}`)
      .join(', '),
  }));
}
