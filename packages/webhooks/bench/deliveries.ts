/**
 * Webhook benchmark (prints figures, never fails on time):
 *  1. deliveries per second from one dispatcher to a local receiver (each delivery: payload
 *     built from the intent record, signed, SSRF-checked lookup, POST, log written), next to
 *     raw POSTs of the same bodies at the same concurrency, with the ratio;
 *  2. the time from an intent's end (store.finish + publish, as the worker's onFinished hook
 *     does) to its webhook's arrival at the receiver, p50/p99, at a steady rate.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 pnpm --filter @neonops/webhooks bench
 *   BENCH_DELIVERIES=2000 BENCH_LATENCY_EVENTS=300 BENCH_CONCURRENCY=50 BENCH_ROUNDS=3
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { IntentStore, newIntentId, SecretBox, type IntentRecord } from '@neonops/intents';
import { deleteKeysWithPrefix } from '@neonops/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { DeliveryLog } from '../src/delivery-log.js';
import { createWebhookDispatcher, createWebhooksQueue } from '../src/dispatcher.js';
import { WebhookPublisher } from '../src/publisher.js';
import { SubscriptionStore } from '../src/subscription-store.js';

const env = process.env;
const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const deliveriesCount = Number(env.BENCH_DELIVERIES ?? 2000);
const latencyEvents = Number(env.BENCH_LATENCY_EVENTS ?? 300);
const concurrency = Number(env.BENCH_CONCURRENCY ?? 50);
const rounds = Number(env.BENCH_ROUNDS ?? 3);
const prefix = `bench:wh:${Math.random().toString(36).slice(2, 8)}:`;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const connections: Redis[] = [redis];
  const connect = () => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: null });
    connections.push(c);
    return c;
  };
  const box = new SecretBox(SecretBox.generateKey());
  const intents = new IntentStore(redis, { prefix });
  const subscriptions = new SubscriptionStore(redis, { prefix, secretBox: box });
  const deliveries = new DeliveryLog(redis, { prefix });
  const queue = createWebhooksQueue(connect(), prefix);
  const publisher = new WebhookPublisher({ subscriptions, deliveries, queue });

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

  const finished = async (): Promise<IntentRecord> => {
    const now = new Date();
    const record: IntentRecord = {
      id: newIntentId(now),
      teamId: 'bench',
      kind: 'branch.create',
      params: { projectId: 'bench-project-123456', name: 'b' },
      status: 'queued',
      steps: [{ name: 'create_branch', status: 'succeeded', attempts: 1 }],
      operationIds: ['op-1', 'op-2'],
      hasSecrets: false,
      cancelRequested: false,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await intents.create(record);
    await intents.finish(record.id, 'succeeded', { result: { branch: { id: 'br-x', name: 'b' }, endpoints: [{ id: 'ep-x', host: 'ep-x.neon.tech' }] } });
    return (await intents.get(record.id))!;
  };

  // 1. Throughput, in alternating rounds (the machine's load shifts between them): the
  // dispatcher with keep-alive (the default) and with a new connection per attempt, and raw
  // POSTs of the same body at the same concurrency with and without keep-alive.
  /** Deliveries/s of one dispatcher round: `deliveriesCount` published while it is paused, then timed. */
  const dispatchRound = async (keepAlive: boolean): Promise<number> => {
    const d = await makeDispatcher(keepAlive);
    const records = await Promise.all(Array.from({ length: deliveriesCount }, finished));
    await d.worker.pause();
    arrivals.clear();
    for (const r of records) await publisher.publishIntentEnd({ teamId: 'bench', intentId: r.id, status: 'succeeded', at: new Date(r.finishedAt!) });
    const t0 = performance.now();
    d.worker.resume();
    await waitArrivals(deliveriesCount);
    const rate = deliveriesCount / ((performance.now() - t0) / 1000);
    await d.close();
    return rate;
  };
  const sample = await finished();
  const body = JSON.stringify({ type: 'intent.succeeded', timestamp: new Date().toISOString(), data: sample });
  /** Raw POSTs/s: the same number of POSTs of a similar body at the same concurrency, nothing else. */
  const rawRound = async (keepAlive: boolean): Promise<number> => {
    const agent = new http.Agent({ keepAlive, maxSockets: concurrency });
    let sent = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < deliveriesCount) {
          sent += 1;
          await new Promise<void>((resolve, reject) => {
            const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
              res.resume();
              res.on('end', resolve);
            });
            req.on('error', reject);
            req.end(body);
          });
        }
      }),
    );
    agent.destroy();
    return deliveriesCount / ((performance.now() - t1) / 1000);
  };
  const results = { ka: [] as number[], fresh: [] as number[], rawFresh: [] as number[], rawKa: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    results.ka.push(await dispatchRound(true));
    results.rawFresh.push(await rawRound(false));
    results.fresh.push(await dispatchRound(false));
    results.rawKa.push(await rawRound(true));
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

  const [ka, fresh, rawFresh, rawKa] = [median(results.ka), median(results.fresh), median(results.rawFresh), median(results.rawKa)];
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  process.stdout.write(
    [
      `webhooks bench (dispatcher concurrency ${concurrency}, one local receiver, Redis ${new URL(redisUrl).host}, ${rounds} alternating rounds of ${deliveriesCount}, medians; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`,
      `  deliveries/s, keep-alive (default)   ${fmt(ka)}  (signed, SSRF-guarded, logged; rounds ${all(results.ka)})`,
      `  deliveries/s, new connection each    ${fmt(fresh)}  (rounds ${all(results.fresh)})`,
      `  raw POST/s, new connection each      ${fmt(rawFresh)}  (same body and concurrency, no queue/sign/log; rounds ${all(results.rawFresh)})`,
      `  raw POST/s, keep-alive               ${fmt(rawKa)}  (rounds ${all(results.rawKa)})`,
      `  ratio (aim >= 50 %)                  ${fmt((ka / rawFresh) * 100)} % of raw POSTs (new connection each, as before); ${fmt((ka / rawKa) * 100)} % of raw keep-alive POSTs; keep-alive / new connection ${fmt(ka / fresh)}x`,
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
