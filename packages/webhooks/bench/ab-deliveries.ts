/**
 * A/B aid for the dispatcher (not part of `pnpm bench`): this tree's `src/` beside another
 * commit's, both loaded into one process, in alternating rounds. Each round publishes
 * `--deliveries` events at once (as the outbox relay does: they share a job per
 * subscription) to one loopback receiver and times the dispatcher until the last one
 * arrives; the figure is this process's CPU per delivery (dispatcher and receiver). Rounds
 * are taken in pairs (the order flips each pair) and the ratio this tree / the other is read
 * pair by pair, then its median: two sides measured seconds apart under the same load. Runs
 * minutes apart on this machine differ by more than most changes do.
 *
 *   pnpm --filter @neonops/webhooks ab:deliveries --ref HEAD~1 --pairs 10 --deliveries 4000
 *
 * Only `packages/webhooks/src` is taken from the other commit (`git archive` into
 * `.ab/<sha>/`, removed afterwards); `@neonops/intents` and the rest are this tree's.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IntentStore, SecretBox, type IntentRecord } from '@neonops/intents';
import { deleteKeysWithPrefix } from '@neonops/testing';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { finishedIntent, postMany, publishAsRelay } from './fixtures.js';
import type * as WebhooksModule from '../src/index.js';

type Webhooks = typeof WebhooksModule;

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}
const ref = flag('ref', 'HEAD');
const pairs = Number(flag('pairs', '10'));
const deliveries = Number(flag('deliveries', '4000'));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const concurrency = 50;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const sha = execFileSync('git', ['rev-parse', '--short=12', ref], { cwd: packageDir, encoding: 'utf8' }).trim();
const abDir = `${packageDir}.ab/${sha}`;

/** `packages/webhooks/src` of `sha`, where it resolves its imports as this package's own files do. */
function extract(): string {
  rmSync(abDir, { recursive: true, force: true });
  mkdirSync(abDir, { recursive: true });
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: packageDir, encoding: 'utf8' }).trim();
  const tar = execFileSync('git', ['archive', sha, 'packages/webhooks/src'], { cwd: root, maxBuffer: 64 << 20 });
  execFileSync('tar', ['-x', '--strip-components=2', '-C', abDir], { input: tar });
  return `${abDir}/src/index.ts`;
}

interface Side {
  name: string;
  /** CPU per delivery of one round, in µs. */
  round(): Promise<number>;
  /** CPU per raw keep-alive POST of the same body to the same receiver, in µs. */
  raw(): Promise<number>;
  close(): Promise<void>;
}

/** One side: its own key prefix, stores, publisher and receiver, built from the module `m`. */
async function side(name: string, m: Webhooks): Promise<Side> {
  const prefix = `bench:whab:${Math.random().toString(36).slice(2, 8)}:`;
  const connections: Redis[] = [];
  const connect = (options: { enableAutoPipelining?: boolean } = {}) => {
    const c = new Redis(redisUrl, { maxRetriesPerRequest: null, ...options });
    connections.push(c);
    return c;
  };
  const redis = connect();
  const box = new SecretBox(SecretBox.generateKey());
  const commands = connect({ enableAutoPipelining: true });
  const intents = new IntentStore(commands, { prefix });
  const subscriptions = new m.SubscriptionStore(commands, { prefix, secretBox: box });
  const log = new m.DeliveryLog(commands, { prefix });
  const queue = m.createWebhooksQueue(connect(), prefix);
  const publisher = new m.WebhookPublisher({ subscriptions, deliveries: log, queue });

  let arrived = 0;
  let expected = 0;
  let onAll: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      if (++arrived >= expected) onAll?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  await subscriptions.create('bench', { url, events: ['intent.*'] });
  const arrivals = (n: number) =>
    new Promise<void>((resolve) => {
      arrived = 0;
      expected = n;
      onAll = resolve;
    });
  const finished = () => finishedIntent(intents);
  const cpuPer = async (n: number, run: () => Promise<void>) => {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  const body = JSON.stringify({ type: 'intent.succeeded', timestamp: new Date().toISOString(), data: await finished() });

  const round = async (n: number) => {
    const dispatcher = m.createWebhookDispatcher({
      connection: connect,
      keyPrefix: prefix,
      subscriptions,
      deliveries: log,
      intents,
      secretBox: box,
      logger: pino({ level: 'silent' }),
      settings: { allowCidrs: ['127.0.0.1/32'], concurrency, retryScheduleMs: [0, 100, 1000] },
    });
    await dispatcher.worker.waitUntilReady();
    const records: IntentRecord[] = [];
    for (let i = 0; i < n; i += 200) records.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, finished))));
    await dispatcher.worker.pause();
    await publishAsRelay(publisher, records);
    const all = arrivals(n);
    const us = await cpuPer(n, async () => {
      dispatcher.worker.resume();
      await all;
    });
    await dispatcher.close();
    return us;
  };
  const raw = async (n: number) => {
    const agents = m.createDeliveryAgents({ maxSocketsPerHost: concurrency });
    const all = arrivals(n);
    const us = await cpuPer(n, async () => {
      await postMany(url, agents.http, body, n, concurrency);
      await all;
    });
    agents.destroy();
    return us;
  };
  // Warm: the first round of a side runs cold code.
  await round(2000);
  await raw(2000);
  return {
    name,
    round: () => round(deliveries),
    raw: () => raw(deliveries),
    async close() {
      await queue.close();
      server.closeAllConnections();
      server.close();
      await deleteKeysWithPrefix(redis, prefix);
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const other = (await import(extract())) as Webhooks;
  const mine = (await import('../src/index.js')) as Webhooks;
  const sides = [await side(sha, other), await side('this tree', mine)];
  process.stdout.write(`A/B deliveries: this tree against ${sha}, ${pairs} pairs of ${deliveries}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const rawBefore = await (sides[0] as Side).raw();
  const cpu: Record<string, number[]> = {};
  const ratios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const got = new Map<string, number>();
    for (const s of pair % 2 === 0 ? sides : [...sides].reverse()) {
      const us = await s.round();
      got.set(s.name, us);
      (cpu[s.name] ??= []).push(us);
    }
    const ratio = (got.get('this tree') as number) / (got.get(sha) as number);
    ratios.push(ratio);
    process.stdout.write(`pair ${pair + 1}  ${sha} ${(got.get(sha) as number).toFixed(1)} µs  this tree ${(got.get('this tree') as number).toFixed(1)} µs  ratio ${ratio.toFixed(3)}\n`);
  }
  const rawAfter = await (sides[0] as Side).raw();
  for (const [name, xs] of Object.entries(cpu)) process.stdout.write(`${name.padEnd(12)} CPU per delivery, median ${median(xs).toFixed(1)} µs\n`);
  process.stdout.write(
    `this tree / ${sha}: median of the pairs ${median(ratios).toFixed(3)} (lower in ${ratios.filter((r) => r < 1).length} of ${pairs}); ` +
      `raw keep-alive POST ${rawBefore.toFixed(1)} µs before, ${rawAfter.toFixed(1)} µs after; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  for (const s of sides) await s.close();
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`ab:deliveries failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    rmSync(abDir, { recursive: true, force: true });
    try {
      rmdirSync(`${packageDir}.ab`);
    } catch {
      // Another run's extract is still there.
    }
  });
