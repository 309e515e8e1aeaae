/**
 * Part 1 — enqueue: `POST /v1/intents` over HTTP (autocannon in its own process, 64
 * keep-alive connections, a unique Idempotency-Key per request) against the API built with
 * `buildApp`, next to raw BullMQ `queue.add` on the same Redis with the same concurrency,
 * and an empty Fastify 202 route as the HTTP ceiling of this machine; and the same API without
 * its metrics (`buildApp({ metrics: false })`), in alternating rounds: what counting costs;
 * and the same API traced (OpenTelemetry on, as with `OTEL_EXPORTER_OTLP_ENDPOINT` set: batched
 * OTLP/HTTP export to a loopback sink in this process; every trace kept, and at the default
 * sampling, one new trace in ten), in alternating rounds: what tracing costs; and the peer route (issue #14, aim 3) in the same
 * rounds: a bare Fastify route on its own Redis connection that parses the same body with the
 * same zod schema and calls `queue.add` (no auth, idempotency, intent record, rate limit or
 * metrics) — what our path costs beyond the work any such route does; and the API in 1 and in
 * 2 processes on one port (node:cluster, `api-cluster.ts`) against the same Redis, in the same
 * rounds: the horizontal-scale ratio.
 */
import os from 'node:os';
import { buildApp } from '@neonops/api';
import { bullPrefix, INTENTS_QUEUE } from '@neonops/intents';
import { DEFAULT_SAMPLING_RATIO } from '@neonops/observability';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { baselineBuildApp } from '../baseline.js';
import type { BenchContext } from '../context.js';
import { ApiProcesses } from '../load/api-processes.js';
import { httpLoad, type HttpLoadResult } from '../load/http-load.js';
import { startPeerRoute } from '../peer-route.js';
import { drive, fmt } from '../stats.js';
import type { Row } from '../table.js';
import { benchApiOptions, BENCH_PROJECT, BENCH_TOKEN } from '../teams.js';
import { withTracingToSink } from '../tracing-sink.js';

export interface EnqueueOptions {
  /** Requests per measured run. Default 6000. */
  requests: number;
  /** Connections (in-flight requests). Default 64. */
  connections: number;
  /**
   * A git ref whose API is measured too, in alternating rounds with this one (see
   * `baseline.ts`): the POST rate next to before. Default: none.
   */
  baselineRef?: string;
  /**
   * The offered rate of the tracing CPU rounds (requests/s in all), below what every setting
   * answers on this machine, so each is measured doing the same work per second. Default 800.
   */
  tracingRate?: number;
}

interface ApiRun {
  result: HttpLoadResult;
  /** API process CPU per POST, ms. */
  cpuMs: number;
}

function urlOf(app: FastifyInstance, path: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://127.0.0.1:${port}${path}`;
}

export async function runEnqueue(ctx: BenchContext, options: EnqueueOptions): Promise<Row[]> {
  const prefix = ctx.prefix('enqueue');
  const body = JSON.stringify({ kind: 'branch.create', params: { projectId: BENCH_PROJECT, name: 'bench' } });
  const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };
  const load = (url: string, amount: number) =>
    httpLoad({ url, amount, connections: options.connections, headers, body, uniqueKeys: true });

  /**
   * One measured run of `POST /v1/intents` against an API built by `build` (this tree's or the
   * baseline's): as fast as it answers, or at a fixed offered rate (`overallRate`, requests/s).
   */
  const measureApi = async (build: typeof buildApp, run: { metrics?: false; overallRate?: number } = {}): Promise<ApiRun> => {
    const app = await build(benchApiOptions(ctx.redisUrl, `${prefix}api:`, run.metrics === false ? { metrics: false } : {}));
    const amount = run.overallRate ? Math.max(1000, Math.round(run.overallRate * 5)) : options.requests;
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = urlOf(app, '/v1/intents');
      const send = (n: number) =>
        httpLoad({ url, amount: n, connections: options.connections, headers, body, uniqueKeys: true, ...(run.overallRate ? { overallRate: run.overallRate } : {}) });
      await send(run.overallRate ? Math.round(run.overallRate) : 1000); // warm-up: JIT, connections, Lua scripts (and, traced, the first sampled requests)
      const cpu0 = process.cpuUsage();
      const result = await send(amount);
      const cpu = process.cpuUsage(cpu0);
      // Only the API runs in this process meanwhile (the client is another process).
      return { result, cpuMs: (cpu.user + cpu.system) / 1000 / amount };
    } finally {
      await app.close();
      await ctx.cleanup(prefix);
    }
  };
  /**
   * One measured run with tracing on: started before the app (as the process entries do), so the
   * app gets its request spans, and a kept request's job its add span (handed over explicitly); spans batched to an OTLP/HTTP
   * sink on loopback that reads and drops them. Stopped after, so the other rounds run
   * untraced. `samplingRatio` undefined: the default sampling (no `OTEL_TRACES_SAMPLER_ARG`).
   */
  const measureTraced = async (samplingRatio?: number, measure: () => Promise<ApiRun> = () => measureApi(buildApp)): Promise<ApiRun> => {
    // As the API process starts it (`apps/api/src/main.ts`): no async context manager.
    const { value, exportedBytes } = await withTracingToSink({ asyncContext: false, ...(samplingRatio === undefined ? {} : { samplingRatio }) }, measure);
    if (exportedBytes === 0) throw new Error('the traced round exported no span');
    return value;
  };
  /**
   * API CPU per POST at a fixed offered rate (`tracingRate`): at full speed the rate of a round
   * moves in steps with the machine's load, and the CPU per POST with it, so traced and
   * untraced rounds that landed on different steps are not comparable; at one offered rate
   * they are. Tracing on or off is decided by the caller (`measureTraced` around it).
   */
  const measureAtRate = (): Promise<ApiRun> => measureApi(buildApp, { overallRate: options.tracingRate ?? 800 });
  /** One measured run of the peer route (`peer-route.ts`): bare Fastify + `intentRequestSchema` + `queue.add`, same client, same Redis. */
  const measurePeer = async (): Promise<ApiRun> => {
    const peer = await startPeerRoute(ctx.redisUrl, `${prefix}peer:`);
    try {
      await load(peer.url, 1000);
      const cpu0 = process.cpuUsage();
      const result = await load(peer.url, options.requests);
      const cpu = process.cpuUsage(cpu0);
      return { result, cpuMs: (cpu.user + cpu.system) / 1000 / options.requests };
    } finally {
      await peer.close();
      await ctx.cleanup(prefix);
    }
  };
  /**
   * One measured run against the API in `count` processes on one port (node:cluster; replicas
   * sharing this Redis): the horizontal-scale figure. CPU summed over the processes.
   */
  const measureProcesses = async (count: number): Promise<ApiRun> => {
    const api = await ApiProcesses.start(count, ctx.redisUrl, `${prefix}scale:`);
    try {
      await load(api.url, 1000);
      const cpu0 = await api.cpu();
      const result = await load(api.url, options.requests);
      const cpu1 = await api.cpu();
      return { result, cpuMs: (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000 / options.requests };
    } finally {
      await api.stop();
      await ctx.cleanup(prefix);
    }
  };
  const baselineBuild = options.baselineRef ? await baselineBuildApp(options.baselineRef) : undefined;
  // Alternating rounds, so that drift of a noisy machine hits both alike; each side's better round counts.
  const runs: ApiRun[] = [];
  const before: ApiRun[] = [];
  const noMetrics: ApiRun[] = [];
  const traced: ApiRun[] = [];
  const sampled: ApiRun[] = [];
  const peers: ApiRun[] = [];
  const oneProcess: ApiRun[] = [];
  const twoProcesses: ApiRun[] = [];
  for (let round = 0; round < 2; round++) {
    runs.push(await measureApi(buildApp));
    peers.push(await measurePeer());
    noMetrics.push(await measureApi(buildApp, { metrics: false }));
    traced.push(await measureTraced(1));
    sampled.push(await measureTraced());
    if (baselineBuild) before.push(await measureApi(baselineBuild));
    oneProcess.push(await measureProcesses(1));
    twoProcesses.push(await measureProcesses(2));
  }
  // Tracing's CPU at one offered rate: untraced, the default sampling and every trace kept, in
  // alternating rounds (the order turned each round); the median of each counts.
  const atRate = { off: [] as ApiRun[], sampled: [] as ApiRun[], all: [] as ApiRun[] };
  for (let round = 0; round < 3; round++) {
    const order = (['off', 'sampled', 'all'] as const).map((_, i, xs) => xs[(i + round) % xs.length]!);
    for (const setting of order) {
      if (setting === 'off') atRate.off.push(await measureAtRate());
      else atRate[setting].push(await measureTraced(setting === 'all' ? 1 : undefined, measureAtRate));
    }
  }
  const medianCpu = (xs: ApiRun[]) => [...xs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(xs.length / 2)]!.cpuMs;
  const best = (xs: ApiRun[]) => xs.reduce((a, b) => (b.result.perSecond > a.result.perSecond ? b : a));
  const { result: api, cpuMs: apiCpuMs } = best(runs);
  const peer = best(peers);

  // Raw BullMQ on the same Redis, same concurrency: the floor of "record + queue" cost.
  const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(INTENTS_QUEUE, { connection, prefix: bullPrefix(`${prefix}raw:`) });
  const add = (i: number, tag: string) =>
    queue.add('branch.create', { intentId: `${tag}${i}`, teamId: 'bench', kind: 'branch.create' }, { jobId: `${tag}${i}` });
  await drive(1000, options.connections, (i) => add(i, 'w'));
  const raw = await drive(options.requests, options.connections, (i) => add(i, 'r'));
  await queue.close();
  await connection.quit();
  await ctx.cleanup(prefix);

  // The HTTP ceiling: an empty route answering 202, same client, no Redis.
  const bare = Fastify();
  bare.post('/v1/intents', async (_request, reply) => reply.code(202).send({ ok: true }));
  let ceiling: HttpLoadResult;
  let bareCpuMs = 0;
  try {
    await bare.listen({ port: 0, host: '127.0.0.1' });
    await load(urlOf(bare, '/v1/intents'), 1000);
    const cpu0 = process.cpuUsage();
    ceiling = await load(urlOf(bare, '/v1/intents'), options.requests);
    const cpu = process.cpuUsage(cpu0);
    bareCpuMs = (cpu.user + cpu.system) / 1000 / options.requests;
  } finally {
    await bare.close();
  }

  const failures = api.non2xx + api.errors;
  return [
    {
      part: '1 enqueue',
      metric: `POST /v1/intents (${options.connections} conn, unique keys)`,
      value: `${fmt.int(api.perSecond)}/s`,
      note: `p50 ${fmt.ms(api.p50)}, p99 ${fmt.ms(api.p99)} (aim p99 ≤ 50 ms)${failures ? `; ${failures} failed` : ''}`,
    },
    { part: '1 enqueue', metric: `raw BullMQ queue.add (${options.connections} in flight)`, value: `${fmt.int(raw.perSecond)}/s`, note: `p50 ${fmt.ms(raw.p50)}, p99 ${fmt.ms(raw.p99)}` },
    { part: '1 enqueue', metric: 'empty Fastify 202 route (HTTP ceiling)', value: `${fmt.int(ceiling.perSecond)}/s`, note: `p50 ${fmt.ms(ceiling.p50)}, p99 ${fmt.ms(ceiling.p99)}` },
    {
      part: '1 enqueue',
      metric: 'peer: bare Fastify + same zod body + queue.add, same run',
      value: `${fmt.int(peer.result.perSecond)}/s`,
      note: `p50 ${fmt.ms(peer.result.p50)}, p99 ${fmt.ms(peer.result.p99)}; CPU ${fmt.ms(peer.cpuMs)}/POST${peer.result.non2xx + peer.result.errors ? `; ${peer.result.non2xx + peer.result.errors} failed` : ''}`,
    },
    {
      part: '1 enqueue',
      metric: 'ratio POST rate ours / peer',
      value: fmt.ratio(api.perSecond / peer.result.perSecond),
      note: `aim ≥ 0.8 (auth, idempotency and the intent record kept); CPU/POST ${fmt.ratio(apiCpuMs / peer.cpuMs)}× the peer's (aim ≤ 1.5×)`,
    },
    {
      part: '1 enqueue',
      metric: 'API process CPU per POST (user+system)',
      value: fmt.ms(apiCpuMs),
      note: `empty route ${fmt.ms(bareCpuMs)}; less noisy than the rates on a shared machine`,
    },
    ...(before.length > 0
      ? [
          {
            part: '1 enqueue',
            metric: `POST /v1/intents before (${options.baselineRef ?? ''}), same run`,
            value: `${fmt.int(best(before).result.perSecond)}/s`,
            note: `p50 ${fmt.ms(best(before).result.p50)}, p99 ${fmt.ms(best(before).result.p99)}; CPU ${fmt.ms(best(before).cpuMs)}/POST`,
          },
          {
            part: '1 enqueue',
            metric: 'ratio POST rate now / before',
            value: fmt.ratio(api.perSecond / best(before).result.perSecond),
            note: 'aim ≥ 0.9 (the atomic intake and outbox may cost at most 10 %)',
          },
        ]
      : []),
    {
      part: '1 enqueue',
      metric: 'POST /v1/intents without metrics, same run',
      value: `${fmt.int(best(noMetrics).result.perSecond)}/s`,
      note: `p50 ${fmt.ms(best(noMetrics).result.p50)}, p99 ${fmt.ms(best(noMetrics).result.p99)}; CPU ${fmt.ms(best(noMetrics).cpuMs)}/POST`,
    },
    {
      part: '1 enqueue',
      metric: 'ratio POST rate with metrics / without',
      value: fmt.ratio(api.perSecond / best(noMetrics).result.perSecond),
      note: `CPU/POST ${fmt.ratio(apiCpuMs / best(noMetrics).cpuMs)}×; aim ≥ 0.9 (metrics may cost at most 10 %)`,
    },
    {
      part: '1 enqueue',
      metric: 'POST /v1/intents traced, every trace kept, same run',
      value: `${fmt.int(best(traced).result.perSecond)}/s`,
      note: `p50 ${fmt.ms(best(traced).result.p50)}, p99 ${fmt.ms(best(traced).result.p99)}; CPU ${fmt.ms(best(traced).cpuMs)}/POST`,
    },
    {
      part: '1 enqueue',
      metric: 'ratio POST rate traced / untraced',
      value: fmt.ratio(best(traced).result.perSecond / api.perSecond),
      note: `CPU/POST ${fmt.ratio(best(traced).cpuMs / apiCpuMs)}× (OTEL_TRACES_SAMPLER_ARG=1: every intent traced; no aim)`,
    },
    {
      part: '1 enqueue',
      metric: 'ratio POST rate traced at the default sampling / untraced',
      value: fmt.ratio(best(sampled).result.perSecond / api.perSecond),
      note: `parent-based, ${DEFAULT_SAMPLING_RATIO * 100} % of new traces kept: ${fmt.int(best(sampled).result.perSecond)}/s, p99 ${fmt.ms(best(sampled).result.p99)}; CPU/POST ${fmt.ratio(best(sampled).cpuMs / apiCpuMs)}× (aim: rate ≥ 0.9, CPU/POST ≤ 1.10×)`,
    },
    {
      part: '1 enqueue',
      metric: `API CPU per POST at ${fmt.int(options.tracingRate ?? 800)}/s offered, untraced`,
      value: fmt.ms(medianCpu(atRate.off)),
      note: `median of 3 alternating rounds; p99 ${fmt.ms(atRate.off[0]!.result.p99)} (round 1)`,
    },
    {
      part: '1 enqueue',
      metric: '  … traced at the default sampling / untraced',
      value: `${fmt.ratio(medianCpu(atRate.sampled) / medianCpu(atRate.off))}×`,
      note: `${fmt.ms(medianCpu(atRate.sampled))}/POST; parent-based, ${DEFAULT_SAMPLING_RATIO * 100} % of new traces kept; aim ≤ 1.10×`,
    },
    {
      part: '1 enqueue',
      metric: '  … every trace kept / untraced',
      value: `${fmt.ratio(medianCpu(atRate.all) / medianCpu(atRate.off))}×`,
      note: `${fmt.ms(medianCpu(atRate.all))}/POST; OTEL_TRACES_SAMPLER_ARG=1 (no aim)`,
    },
    {
      part: '1 enqueue',
      metric: 'POST /v1/intents, 1 API process (node:cluster)',
      value: `${fmt.int(best(oneProcess).result.perSecond)}/s`,
      note: `p50 ${fmt.ms(best(oneProcess).result.p50)}, p99 ${fmt.ms(best(oneProcess).result.p99)}; CPU ${fmt.ms(best(oneProcess).cpuMs)}/POST`,
    },
    {
      part: '1 enqueue',
      metric: 'POST /v1/intents, 2 API processes on one Redis, same run',
      value: `${fmt.int(best(twoProcesses).result.perSecond)}/s`,
      note: `p50 ${fmt.ms(best(twoProcesses).result.p50)}, p99 ${fmt.ms(best(twoProcesses).result.p99)}; CPU ${fmt.ms(best(twoProcesses).cpuMs)}/POST (both processes)`,
    },
    {
      part: '1 enqueue',
      metric: 'ratio POST rate 2 API processes / 1',
      value: fmt.ratio(best(twoProcesses).result.perSecond / best(oneProcess).result.perSecond),
      note: `horizontal scale; ${os.cpus().length} cores shared with the load generator and Redis`,
    },
    { part: '1 enqueue', metric: 'ratio API / raw queue.add', value: fmt.ratio(api.perSecond / raw.perSecond), note: 'aim ≥ 0.5' },
    { part: '1 enqueue', metric: 'ratio API / HTTP ceiling', value: fmt.ratio(api.perSecond / ceiling.perSecond), note: 'what the intent path costs beyond HTTP' },
  ];
}
