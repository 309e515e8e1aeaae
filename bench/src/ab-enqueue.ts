/**
 * A/B aid for the enqueue path (not part of `pnpm bench`): `POST /v1/intents` of this tree,
 * of other commits (`--ref <git ref>`, repeatable; built as `--baseline` does) and the peer
 * route of part 1, in alternating rounds of one run, each round printed (rate, p50, p99, API
 * CPU per POST, Redis CPU per POST) with the load average. What a change buys is read off
 * the rounds side by side, never off runs minutes apart.
 *
 *   pnpm --filter @neonops/bench ab:enqueue --ref main --rounds 3 --requests 6000 --connections 64
 *   pnpm --filter @neonops/bench ab:enqueue --ref main --rate 1500   # CPU per POST at the same offered rate
 *   pnpm --filter @neonops/bench ab:enqueue --ref main --inject      # CPU per POST of the app's path alone (app.inject, no HTTP)
 *   pnpm --filter @neonops/bench ab:enqueue --metrics --inject --no-peer   # this tree with and without its metrics
 *   pnpm --filter @neonops/bench ab:enqueue --tracing --inject --no-peer # this tree untraced, traced at the default sampling as the
 *                                                                        # API runs it (no async context manager), and with AsyncLocalStorage
 */
import os from 'node:os';
import { buildApp } from '@neonops/api';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { flag } from './args.js';
import { baselineBuildApp } from './baseline.js';
import { openBenchContext } from './context.js';
import { httpLoad } from './load/http-load.js';
import { startPeerRoute } from './peer-route.js';
import { fmt } from './stats.js';
import { benchApiOptions, BENCH_PROJECT, BENCH_TOKEN } from './teams.js';
import { withTracingToSink } from './tracing-sink.js';

const refs = process.argv.flatMap((arg, i) => (arg === '--ref' ? [process.argv[i + 1] ?? ''] : [])).filter(Boolean);
const rounds = Number(flag('rounds', '3'));
const requests = Number(flag('requests', '6000'));
const connections = Number(flag('connections', '64'));
const withPeer = !process.argv.includes('--no-peer');
const overallRate = Number(flag('rate', '0'));
/**
 * `--inject`: requests through `app.inject` in this process (64 in flight) instead of HTTP from
 * autocannon: no load generator and no sockets on the client side, so the CPU per POST of
 * the app's own path is far steadier — for an A/B of a change of a few microseconds. No peer.
 */
const viaInject = process.argv.includes('--inject');
/**
 * `--tracing`: also this tree traced at the default sampling (OTLP/HTTP to a loopback sink),
 * started as the API process starts it (no async context manager) and with Node's
 * `AsyncLocalStorage` context manager, in the same alternating rounds.
 */
const withTracing = process.argv.includes('--tracing');
/** `--metrics`: also this tree without its metrics (`buildApp({ metrics: false })`), in the same alternating rounds. */
const withoutMetrics = process.argv.includes('--metrics');

const ctx = await openBenchContext();
const admin = new Redis(ctx.redisUrl);
/** Redis's own CPU seconds (user + system), from INFO. */
const redisCpu = async (): Promise<number> => {
  const info = await admin.info('cpu');
  const get = (field: string) => Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
};
const body = JSON.stringify({ kind: 'branch.create', params: { projectId: BENCH_PROJECT, name: 'bench' } });
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };

function urlOf(app: FastifyInstance): string {
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1/intents`;
}

async function measure(url: string): Promise<string> {
  await httpLoad({ url, amount: 1000, connections, headers, body, uniqueKeys: true });
  const cpu0 = process.cpuUsage();
  const redis0 = await redisCpu();
  const r = await httpLoad({ url, amount: requests, connections, headers, body, uniqueKeys: true, ...(overallRate ? { overallRate } : {}) });
  const cpu = process.cpuUsage(cpu0);
  const redisMs = ((await redisCpu()) - redis0) * 1000;
  const failed = r.non2xx + r.errors;
  return (
    `${fmt.int(r.perSecond).padStart(6)}/s  p50 ${fmt.ms(r.p50).padStart(8)}  p99 ${fmt.ms(r.p99).padStart(8)}  ` +
    `API CPU ${((cpu.user + cpu.system) / requests).toFixed(1)} µs/POST  Redis CPU ${fmt.ms(redisMs / requests)}/POST${failed ? `  ${failed} FAILED` : ''}`
  );
}

/** `count` POSTs through `app.inject`, `connections` in flight. */
async function injectMany(app: FastifyInstance, count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < count) {
        const i = next++;
        const res = await app.inject({ method: 'POST', url: '/v1/intents', payload: body, headers: { ...headers, 'idempotency-key': `ab-${i}-${Math.random()}` } });
        if (res.statusCode !== 202) throw new Error(`POST answered ${res.statusCode}: ${res.body}`);
      }
    }),
  );
}

async function measureInject(app: FastifyInstance): Promise<string> {
  await injectMany(app, 1000);
  const cpu0 = process.cpuUsage();
  const redis0 = await redisCpu();
  const t0 = performance.now();
  await injectMany(app, requests);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const redisMs = ((await redisCpu()) - redis0) * 1000;
  return `${fmt.int(requests / seconds).padStart(6)}/s (inject)  API CPU ${((cpu.user + cpu.system) / requests).toFixed(1)} µs/POST  Redis CPU ${fmt.ms(redisMs / requests)}/POST`;
}

async function measureApi(build: typeof buildApp, extra: { metrics?: false } = {}): Promise<string> {
  const prefix = ctx.prefix('ab');
  const app = await build(benchApiOptions(ctx.redisUrl, `${prefix}api:`, extra));
  try {
    if (viaInject) return await measureInject(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return await measure(urlOf(app));
  } finally {
    await app.close();
    await ctx.cleanup(prefix);
  }
}

async function measurePeer(): Promise<string> {
  const prefix = ctx.prefix('ab');
  const peer = await startPeerRoute(ctx.redisUrl, `${prefix}peer:`);
  try {
    return await measure(peer.url);
  } finally {
    await peer.close();
    await ctx.cleanup(prefix);
  }
}

/** `run` with tracing on at the default sampling (see `withTracingToSink`). */
async function traced<T>(asyncContext: boolean, run: () => Promise<T>): Promise<T> {
  const { value, exportedBytes } = await withTracingToSink({ asyncContext }, run);
  if (exportedBytes === 0) console.log('  (the traced round exported no span)');
  return value;
}

const variants: { name: string; run: () => Promise<string> }[] = [{ name: 'this tree', run: () => measureApi(buildApp) }];
if (withoutMetrics) variants.push({ name: 'no metrics', run: () => measureApi(buildApp, { metrics: false }) });
if (withTracing) {
  variants.push({ name: 'traced 10%, no context manager', run: () => traced(false, () => measureApi(buildApp)) });
  variants.push({ name: 'traced 10%, AsyncLocalStorage', run: () => traced(true, () => measureApi(buildApp)) });
}
for (const ref of refs) {
  const build = await baselineBuildApp(ref);
  variants.push({ name: ref, run: () => measureApi(build) });
}
if (withPeer && !viaInject) variants.push({ name: 'peer', run: measurePeer });
const width = Math.max(...variants.map((v) => v.name.length));
console.log(`A/B enqueue: ${requests} POSTs at ${connections} connections${overallRate ? `, at most ${overallRate}/s` : ''}, ${rounds} rounds; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
try {
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order too, so neither side always runs first after the other's keys.
    const order = round % 2 === 1 ? variants : [...variants].reverse();
    for (const variant of order) console.log(`round ${round}  ${variant.name.padEnd(width)}  ${await variant.run()}`);
  }
} finally {
  console.log(`load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  admin.disconnect();
  await ctx.close();
}
