/**
 * Webhook benchmark (prints figures, never fails on time):
 *  1. deliveries per second from one dispatcher to a local receiver (each delivery: payload
 *     built from the intent record, signed, SSRF-checked lookup, POST, log written), next to
 *     raw POSTs of the same bodies at the same concurrency, with the ratio. The peer that
 *     counts is raw POSTs through the same keep-alive agents (`createDeliveryAgents`) to the
 *     same receiver; raw POSTs on a new connection each (the baseline's peer) are printed too.
 *     Also the CPU each costs: this process's per delivery and per raw POST, and Redis's per
 *     delivery (INFO cpu; the whole Redis, so other clients of a shared one add to it).
 *     The deliveries are published as the outbox relay publishes them (the events of one
 *     read, up to 50, at once), so they share a job per subscription; the same with a job per
 *     delivery (`maxDeliveriesPerJob: 1`) is printed beside it;
 *  2. the time from an intent's end (store.finish + publish, as the worker's onFinished hook
 *     does) to its webhook's arrival at the receiver, p50/p99, at a steady rate.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @neonops/webhooks bench
 *   BENCH_DELIVERIES=2000 BENCH_LATENCY_EVENTS=300 BENCH_CONCURRENCY=50 BENCH_ROUNDS=5
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { IntentStore, SecretBox } from '@neonops/intents';
import { deleteKeysWithPrefix } from '@neonops/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { finishedIntent, postMany, postOnce, publishAsRelay } from './fixtures.js';
import { DeliveryLog } from '../src/delivery-log.js';
import { createWebhookDispatcher, createWebhooksQueue } from '../src/dispatcher.js';
import { createDeliveryAgents } from '../src/sender.js';
import { WebhookPublisher } from '../src/publisher.js';
import { SubscriptionStore } from '../src/subscription-store.js';

const env = process.env;
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const deliveriesCount = Number(env.BENCH_DELIVERIES ?? 2000);
const latencyEvents = Number(env.BENCH_LATENCY_EVENTS ?? 300);
const concurrency = Number(env.BENCH_CONCURRENCY ?? 50);
const rounds = Number(env.BENCH_ROUNDS ?? 5);
const prefix = `bench:wh:${Math.random().toString(36).slice(2, 8)}:`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const connections: Redis[] = [redis];
  const connect = (options: { enableAutoPipelining?: boolean } = {}) => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: null, ...options });
    connections.push(c);
    return c;
  };
  const box = new SecretBox(SecretBox.generateKey());
  // The stores' command connection auto-pipelines, as the worker's does (apps/worker's main.ts).
  const commands = connect({ enableAutoPipelining: true });
  const intents = new IntentStore(commands, { prefix });
  const subscriptions = new SubscriptionStore(commands, { prefix, secretBox: box });
  const deliveries = new DeliveryLog(commands, { prefix });
  const queue = createWebhooksQueue(connect(), prefix);
  const publisher = new WebhookPublisher({ subscriptions, deliveries, queue });
  // The same with a job per delivery (as before deliveries published together shared a job): the A/B row.
  const publisherJobEach = new WebhookPublisher({ subscriptions, deliveries, queue, maxDeliveriesPerJob: 1 });

  // The receiver: answers 204 and notes when each webhook-id arrived.
  const arrivals = new Map<string, number>();
  let onArrival: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.set(String(req.headers['webhook-id'] ?? ''), performance.timeOrigin + performance.now());
      res.writeHead(204).end();
      onArrival?.();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const waitArrivals = (n: number) =>
    new Promise<void>((resolve) => {
      onArrival = () => arrivals.size >= n && resolve();
      onArrival();
    });

  const makeDispatcher = async (keepAlive: boolean) => {
    const d = createWebhookDispatcher({
      connection: connect,
      keyPrefix: prefix,
      subscriptions,
      deliveries,
      intents,
      secretBox: box,
      logger: pino({ level: 'silent' }),
      settings: { allowCidrs: ['127.0.0.1/32'], concurrency, retryScheduleMs: [0, 100, 1000] },
      options: { keepAlive },
    });
    await d.worker.waitUntilReady();
    return d;
  };
  await subscriptions.create('bench', { url, events: ['intent.*'] });

  const finished = () => finishedIntent(intents);

  // 1. Throughput, in alternating rounds (the machine's load shifts between them): the
  // dispatcher with keep-alive (the default) and with a new connection per attempt, and raw
  // POSTs of the same body at the same concurrency with and without keep-alive.
  /** Redis's CPU seconds so far (user + system). */
  const redisCpu = async (): Promise<number> => {
    const info = await redis.info('cpu');
    return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? NaN) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? NaN);
  };
  /** One timed round: rate, and CPU per item of this process and of Redis (ms). */
  interface Round {
    rate: number;
    cpuMs: number;
    redisCpuMs: number;
  }
  const timed = async (run: () => Promise<void>): Promise<Round> => {
    const redis0 = await redisCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const redisSeconds = (await redisCpu()) - redis0;
    return { rate: deliveriesCount / seconds, cpuMs: (cpu.user + cpu.system) / 1000 / deliveriesCount, redisCpuMs: (redisSeconds * 1000) / deliveriesCount };
  };
  /** Deliveries/s of one dispatcher round: `deliveriesCount` published while it is paused, then timed. */
  const dispatchRound = async (keepAlive: boolean, jobEach = false): Promise<Round> => {
    const d = await makeDispatcher(keepAlive);
    const records = await Promise.all(Array.from({ length: deliveriesCount }, finished));
    await d.worker.pause();
    arrivals.clear();
    await publishAsRelay(jobEach ? publisherJobEach : publisher, records);
    const round = await timed(async () => {
      d.worker.resume();
      await waitArrivals(deliveriesCount);
    });
    await d.close();
    return round;
  };
  const sample = await finished();
  const body = JSON.stringify({ type: 'intent.succeeded', timestamp: new Date().toISOString(), data: sample });
  /**
   * Raw POSTs/s: the same number of POSTs of a similar body at the same concurrency, nothing
   * else; with keep-alive through the dispatcher's own agents (same pool settings), else a new
   * connection each.
   */
  const rawRound = async (keepAlive: boolean): Promise<Round> => {
    const agents = keepAlive ? createDeliveryAgents({ maxSocketsPerHost: concurrency }) : undefined;
    const agent = agents ? agents.http : new http.Agent({ keepAlive: false, maxSockets: concurrency });
    const round = await timed(() => postMany(url, agent, body, deliveriesCount, concurrency));
    agent.destroy();
    return round;
  };
  /**
   * The floor of a job per delivery: a BullMQ worker (same concurrency, same connections) whose
   * job is only the raw keep-alive POST — no delivery record, subscription, signing or log.
   * Deliveries that share a job per subscription can pass it (the job is paid once per batch).
   */
  const queuedRawRound = async (): Promise<Round> => {
    const agents = createDeliveryAgents({ maxSocketsPerHost: concurrency });
    const floorQueue = new Queue('raw-posts', { connection: connect(), prefix: `${prefix}bull` });
    const worker = new Worker('raw-posts', () => postOnce(url, agents.http, body), { connection: connect(), prefix: `${prefix}bull`, concurrency, autorun: false });
    await floorQueue.addBulk(Array.from({ length: deliveriesCount }, (_, i) => ({ name: 'post', data: { i }, opts: { removeOnComplete: { count: 1000 } } })));
    let done = 0;
    const round = await timed(
      () =>
        new Promise<void>((resolve) => {
          worker.on('completed', () => ++done >= deliveriesCount && resolve());
          void worker.run();
        }),
    );
    await worker.close();
    await floorQueue.obliterate({ force: true });
    await floorQueue.close();
    agents.destroy();
    return round;
  };
  const results = { ka: [] as Round[], jobEach: [] as Round[], fresh: [] as Round[], rawFresh: [] as Round[], rawKa: [] as Round[], queued: [] as Round[] };
  // A round of each kind first, not counted: the process's first round of a kind ran cold
  // (code not yet optimized) and was slowest whatever it was.
  for (const warmUp of [() => dispatchRound(true), () => dispatchRound(true, true), () => rawRound(false), () => dispatchRound(false), () => rawRound(true), queuedRawRound]) await warmUp();
  for (let round = 0; round < rounds; round++) {
    results.ka.push(await dispatchRound(true));
    results.jobEach.push(await dispatchRound(true, true));
    results.rawFresh.push(await rawRound(false));
    results.fresh.push(await dispatchRound(false));
    results.rawKa.push(await rawRound(true));
    results.queued.push(await queuedRawRound());
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const dispatcher = await makeDispatcher(true);

  // 2. Intent end → arrival, at a steady rate (one event every 10 ms).
  arrivals.clear();
  const ended = new Map<string, number>();
  for (let i = 0; i < latencyEvents; i++) {
    const r = await finished();
    const [d] = await publisher.publishIntentEnd({ teamId: 'bench', intentId: r.id, status: 'succeeded', at: new Date(r.finishedAt!) });
    ended.set(d!.messageId, Date.parse(r.finishedAt!));
    await new Promise((res) => setTimeout(res, 10));
  }
  await waitArrivals(latencyEvents);
  const latencies = [...ended].map(([id, at]) => (arrivals.get(id) ?? NaN) - at).sort((a, b) => a - b);

  const rate = (rs: Round[]) => median(rs.map((r) => r.rate));
  const cpu = (rs: Round[]) => median(rs.map((r) => r.cpuMs));
  const redisMs = (rs: Round[]) => median(rs.map((r) => r.redisCpuMs));
  const [ka, fresh, rawFresh, rawKa] = [rate(results.ka), rate(results.fresh), rate(results.rawFresh), rate(results.rawKa)];
  /**
   * A ratio taken round by round (the two sides of a round ran minutes apart at most, under the
   * same load), then the median of the rounds, in %: steadier than a ratio of two medians.
   */
  const paired = (a: Round[], b: Round[]) => median(a.map((x, i) => (x.rate / (b[i]?.rate ?? NaN)) * 100));
  const range = (a: Round[], b: Round[]) => a.map((x, i) => ((x.rate / (b[i]?.rate ?? NaN)) * 100).toFixed(0)).join(' / ');
  const all = (rs: Round[]) => rs.map((r) => r.rate.toFixed(0)).join(' / ');
  const ms = (n: number) => n.toFixed(3);
  process.stdout.write(
    [
      `webhooks bench (dispatcher concurrency ${concurrency}, one local receiver, Redis ${new URL(redisUrl).host}, ${rounds} alternating rounds of ${deliveriesCount} after a warm-up round, medians; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`,
      `  deliveries/s, keep-alive (default)   ${fmt(ka)}  (signed, SSRF-guarded, logged; rounds ${all(results.ka)})`,
      `  deliveries/s, a job per delivery     ${fmt(rate(results.jobEach))}  (keep-alive, maxDeliveriesPerJob 1; rounds ${all(results.jobEach)}); a job per subscription ${fmt(paired(results.ka, results.jobEach) / 100)}x its rate (rounds ${range(results.ka, results.jobEach)} %), CPU per delivery ${fmt(cpu(results.ka) / cpu(results.jobEach))}x`,
      `  deliveries/s, new connection each    ${fmt(fresh)}  (rounds ${all(results.fresh)})`,
      `  raw POST/s, keep-alive (the peer)    ${fmt(rawKa)}  (same body, concurrency, receiver and agent settings; no queue/sign/log; rounds ${all(results.rawKa)})`,
      `  raw POST/s, new connection each      ${fmt(rawFresh)}  (the baseline's peer; rounds ${all(results.rawFresh)})`,
      `  BullMQ job per raw POST/s            ${fmt(rate(results.queued))}  (the floor of a job per delivery: same worker settings, the job only POSTs; rounds ${all(results.queued)}); deliveries ${fmt(paired(results.ka, results.queued))} % of it (rounds ${range(results.ka, results.queued)}); CPU ${ms(cpu(results.queued))} ms here, Redis ${ms(redisMs(results.queued))} ms`,
      `  ratio to the peer (per round)        ${fmt(paired(results.ka, results.rawKa))} % of raw keep-alive POSTs (aim >= 50 %; rounds ${range(results.ka, results.rawKa)}); ${fmt(paired(results.ka, results.rawFresh))} % of raw POSTs on a new connection each (the baseline's 27 %; rounds ${range(results.ka, results.rawFresh)}); keep-alive / new connection ${fmt(paired(results.ka, results.fresh) / 100)}x`,
      `  CPU per delivery (keep-alive)        this process ${ms(cpu(results.ka))} ms (dispatcher and receiver), Redis ${ms(redisMs(results.ka))} ms; per raw keep-alive POST: this process ${ms(cpu(results.rawKa))} ms (client and receiver), ${fmt(cpu(results.ka) / cpu(results.rawKa))}x`,
      `  intent end → webhook arrival (${latencyEvents} events, 100/s): p50 ${fmt(pct(latencies, 50))} ms, p99 ${fmt(pct(latencies, 99))} ms, max ${fmt(latencies.at(-1) ?? NaN)} ms`,
      '',
    ].join('\n'),
  );

  await dispatcher.close();
  await queue.close();
  server.closeAllConnections();
  server.close();
  await deleteKeysWithPrefix(redis, prefix);
  await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
