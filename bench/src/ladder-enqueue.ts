/**
 * Aid for aim 3 of issue #14 (not part of `pnpm bench`): the CPU per POST of a ladder of
 * routes, from an empty one up to ours, in alternating rounds through `app.inject` in this
 * process (64 in flight, no HTTP, no load generator). It shows where the intent record alone
 * puts the floor beneath `POST /v1/intents`:
 *
 * - `empty`: Fastify answering 202;
 * - `peer`: the peer route of part 1 (the same zod body, `queue.add`);
 * - `peer + record`: the peer, and before its `queue.add` the intent store's create script
 *   (`IntentStore.createClaiming`: the record, its indexes, the key claimed and its answer,
 *   one command), as the least "the intent record kept" can cost with this store; no auth,
 *   no key hashing, no rate limit, no metrics;
 * - `ours, no key` and `ours`: `buildApp` as part 1 builds it, without and with an
 *   `Idempotency-Key`.
 *
 *   pnpm --filter @neonops/bench ladder:enqueue --rounds 9 --requests 6000
 *   pnpm --filter @neonops/bench ladder:enqueue --only 3 --rounds 1 --requests 20000   # one rung, e.g. under node --cpu-prof
 */
import { buildApp } from '@neonops/api';
import { bullPrefix, IntentStore, intentJobOptions, intentRequestSchema, INTENTS_QUEUE, newIntentId, queuedIntentRecord } from '@neonops/intents';
import { Queue } from 'bullmq';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { loadavg } from 'node:os';
import { flag } from './args.js';
import { openBenchContext } from './context.js';
import { benchApiOptions, BENCH_PROJECT, BENCH_TOKEN } from './teams.js';

const rounds = Number(flag('rounds', '9'));
const requests = Number(flag('requests', '6000'));
const inFlight = 64;
const body = JSON.stringify({ kind: 'branch.create', params: { projectId: BENCH_PROJECT, name: 'bench' } });

const ctx = await openBenchContext();
const connections: Redis[] = [];
const connect = (autoPipelining = false) => {
  const c = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null, enableAutoPipelining: autoPipelining });
  connections.push(c);
  return c;
};
const queues: Queue[] = [];

/** The peer route of part 1, with the intent store's create script before its add when `withRecord`. */
function peerApp(withRecord: boolean): FastifyInstance {
  const prefix = ctx.prefix('ladder');
  const queue = new Queue(INTENTS_QUEUE, { connection: connect(), prefix: bullPrefix(prefix) });
  queues.push(queue);
  const store = withRecord ? new IntentStore(connect(true), { prefix }) : undefined;
  const app = Fastify();
  app.post('/v1/intents', async (request, reply) => {
    const parsed = intentRequestSchema.parse(request.body);
    const id = newIntentId();
    if (store) {
      const record = queuedIntentRecord({ id, teamId: 'bench', kind: parsed.kind, params: parsed.params as Record<string, unknown> });
      const answer = JSON.stringify(record);
      const outcome = await store.createClaiming(record, { claim: { key: `${prefix}{core}:idempotency:${id}`, completedValue: answer, ttlMs: 86_400_000 } });
      if (outcome !== 'created') throw new Error(`create answered ${JSON.stringify(outcome)}`);
      await queue.add(parsed.kind, { intentId: id, teamId: 'bench', kind: parsed.kind }, { ...intentJobOptions, jobId: id });
      return reply.code(202).header('content-type', 'application/json; charset=utf-8').send(answer);
    }
    await queue.add(parsed.kind, { intentId: id, teamId: 'bench', kind: parsed.kind }, { ...intentJobOptions, jobId: id });
    return reply.code(202).send({ id, kind: parsed.kind, status: 'queued' });
  });
  return app;
}

const empty = Fastify();
empty.post('/v1/intents', async (_request, reply) => reply.code(202).send({ ok: true }));
const ours = await buildApp(benchApiOptions(ctx.redisUrl, ctx.prefix('ladder')));

/** `count` POSTs, `inFlight` at a time; every answer must be 202. */
async function post(app: FastifyInstance, count: number, options: { auth: boolean; key: boolean }): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (options.auth) headers.authorization = `Bearer ${BENCH_TOKEN}`;
        if (options.key) headers['idempotency-key'] = `ladder-${i}-${Math.random()}`;
        const res = await app.inject({ method: 'POST', url: '/v1/intents', payload: body, headers });
        if (res.statusCode !== 202) throw new Error(`POST answered ${res.statusCode}: ${res.body}`);
      }
    }),
  );
}

const peerRung = { name: 'peer (zod body + queue.add)', app: peerApp(false), auth: false, key: false };
const allRungs: { name: string; app: FastifyInstance; auth: boolean; key: boolean }[] = [
  { name: 'empty Fastify 202', app: empty, auth: false, key: false },
  peerRung,
  { name: 'peer + record (create script)', app: peerApp(true), auth: false, key: false },
  { name: 'ours, no Idempotency-Key', app: ours, auth: true, key: false },
  { name: 'ours (POST /v1/intents)', app: ours, auth: true, key: true },
];
/** `--only 3,4`: some rungs (0-based), e.g. one at a time under `--cpu-prof`. */
const only = flag('only', '');
const rungs = only ? allRungs.filter((_, i) => only.split(',').map(Number).includes(i)) : allRungs;

/** This process's CPU per POST of one round, in µs, after a short warm-up. */
async function round(rung: (typeof rungs)[number]): Promise<number> {
  await post(rung.app, 500, rung);
  const before = process.cpuUsage();
  await post(rung.app, requests, rung);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / requests;
}

const load = loadavg().map((n) => n.toFixed(2)).join(' ');
const samples = new Map<(typeof rungs)[number], number[]>(rungs.map((r) => [r, []]));
try {
  for (let r = 0; r < rounds; r++) {
    // The order flips each round, so no rung always runs first or last.
    for (const rung of r % 2 === 0 ? rungs : [...rungs].reverse()) samples.get(rung)?.push(await round(rung));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  // Without the peer's rung (`--only` left it out), the ratios print as NaN.
  const peer = median(samples.get(peerRung) ?? [NaN]);
  console.log(`ladder: API CPU per POST through app.inject, ${inFlight} in flight, ${rounds} alternating rounds of ${requests}; load average ${load} → ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  for (const [{ name }, values] of samples) {
    const m = median(values);
    console.log(`${name.padEnd(32)} ${m.toFixed(1).padStart(7)} µs  ${(m / peer).toFixed(2)}× the peer  rounds ${values.map((v) => v.toFixed(0)).join(' ')}`);
  }
} finally {
  await Promise.all([ours.close(), empty.close(), ...allRungs.map((r) => (r.app === ours || r.app === empty ? undefined : r.app.close()))]);
  await Promise.all(queues.map((q) => q.close()));
  for (const c of connections) c.disconnect();
  await ctx.close();
}
// Any handle a library left open must not keep the aid running.
process.exit(0);
