/**
 * Enqueue benchmark (issue 4, benchmark 1): `POST /v1/intents` over HTTP with 64 keep-alive
 * connections and unique Idempotency-Keys, next to raw BullMQ `queue.add` with the same
 * concurrency on the same Redis. Prints intents/s, p50/p99 latency and the ratio; never
 * fails on a time. Bounded: REQUESTS (default 4000) requests each, loopback only.
 *
 *   pnpm --filter @neonops/api bench            # REDIS_URL or 127.0.0.1:6379, else redis-server
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { bullPrefix, INTENTS_QUEUE, SecretBox } from '@neonops/intents';
import { deleteKeysWithPrefix, startTestRedis } from '@neonops/testing';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.js';
import { TeamDirectory } from '../src/teams/team-directory.js';
import { hashToken } from '../src/teams/teams-file.js';

const REQUESTS = Number(process.env.REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
/** `IDEMPOTENCY_KEYS=0` sends no Idempotency-Key (to see what idempotency costs). */
const WITH_KEYS = process.env.IDEMPOTENCY_KEYS !== '0';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Runs `total` calls of `fn` with `concurrency` in flight; returns per-call latencies (ms) and wall time. */
async function drive(total: number, concurrency: number, fn: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: total / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const redisServer = await startTestRedis();
  const prefix = `bench:${randomUUID().slice(0, 8)}:`;
  const cleaner = new Redis(redisServer.url);
  const app = await buildApp({
    redis: { url: redisServer.url },
    keyPrefix: prefix,
    teams: new TeamDirectory([{ id: 'bench', tokenHashes: [hashToken('bench-token')], projects: ['p-bench'], limits: { maxActiveIntents: 1_000_000 } }]),
    secretBox: new SecretBox(SecretBox.generateKey()),
    probeNeon: async () => ({ ok: true }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const body = JSON.stringify({ kind: 'branch.create', params: { projectId: 'p-bench', name: 'bench' } });

  // The HTTP client runs in a worker thread: on its own event loop, as a separate client would be.
  const httpLoad = async (total: number, targetPort = port) => {
    const worker = new Worker(new URL('./http-load.mjs', import.meta.url), {
      workerData: { port: targetPort, total, concurrency: CONCURRENCY, token: 'bench-token', body, withKey: WITH_KEYS },
    });
    const [result] = (await once(worker, 'message')) as [{ seconds: number; latencies: number[] }];
    await worker.terminate();
    const sorted = result.latencies.sort((a, b) => a - b);
    return { perSecond: total / result.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  };

  try {
    await httpLoad(300); // warm-up: JIT, connections, Lua scripts
    const api = await httpLoad(REQUESTS);

    const queueConnection = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    const queue = new Queue(INTENTS_QUEUE, { connection: queueConnection, prefix: bullPrefix(`${prefix}raw:`) });
    await drive(200, CONCURRENCY, async (i) => void (await queue.add('branch.create', { intentId: `w${i}`, teamId: 'bench', kind: 'branch.create' }, { jobId: `w${i}` })));
    const raw = await drive(REQUESTS, CONCURRENCY, async (i) => void (await queue.add('branch.create', { intentId: `r${i}`, teamId: 'bench', kind: 'branch.create' }, { jobId: `r${i}` })));
    await queue.close();
    await queueConnection.quit();

    // The HTTP floor: a bare Fastify route answering 202 to the same client, no Redis at all.
    const bare = Fastify();
    bare.post('/v1/intents', async (_request, reply) => reply.code(202).send({ ok: true }));
    await bare.listen({ port: 0, host: '127.0.0.1' });
    const bareAddress = bare.server.address();
    const barePort = typeof bareAddress === 'object' && bareAddress ? bareAddress.port : 0;
    await httpLoad(300, barePort);
    const floor = await httpLoad(REQUESTS, barePort);
    await bare.close();

    const row = (name: string, r: { perSecond: number; p50: number; p99: number }) =>
      `${name.padEnd(28)} ${r.perSecond.toFixed(0).padStart(8)}/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms`;
    console.log(`enqueue benchmark: ${REQUESTS} requests, ${CONCURRENCY} concurrent, ${WITH_KEYS ? 'unique Idempotency-Keys' : 'no Idempotency-Key'}, Redis from ${redisServer.source}`);
    console.log(row('POST /v1/intents (HTTP)', api));
    console.log(row('raw BullMQ queue.add', raw));
    console.log(row('bare Fastify 202 (HTTP floor)', floor));
    console.log(`ratio API/raw: ${(api.perSecond / raw.perSecond).toFixed(2)}   (aim ≥ 0.5; p99 aim ≤ 50 ms)`);
    console.log(`ratio API/bare HTTP: ${(api.perSecond / floor.perSecond).toFixed(2)}   (what the intent path costs beyond HTTP itself)`);
  } finally {
    await app.close();
    await deleteKeysWithPrefix(cleaner, prefix);
    cleaner.disconnect();
    await redisServer.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
