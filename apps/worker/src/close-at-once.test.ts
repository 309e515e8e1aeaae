import { Writable } from 'node:stream';
import { redisNodes, SecretBox } from '@neonops/intents';
import { startNeonSimulator } from '@neonops/neon-sim';
import { createMetricsRegistry } from '@neonops/observability';
import { recordUnhandledRejections, useTestRedis, waitUntil, type TestRedisContext } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startWorker } from './main.js';
import { WorkerMetrics } from './metrics/worker-metrics.js';
import { startHarness } from './test/harness.js';

const ROUNDS = 30;

/**
 * Waits until Redis (every master of a cluster) lists no connection named under `prefix` (BullMQ names its workers'
 * blocking connections `<bull prefix>:<queue>`): their sockets have closed, which is when a
 * handshake cut short rejected. Then one more turn of the event loop for the rejection to be reported.
 */
async function connectionsGone(redis: TestRedisContext, client: ReturnType<TestRedisContext['connect']>): Promise<void> {
  const nodes = await redisNodes(client);
  const open = async (): Promise<string[]> =>
    (await Promise.all(nodes.map(async (node) => String(await node.client('LIST'))))).flatMap((list) => list.split('\n').filter((line) => line.includes(`name=${redis.prefix}`)));
  let left: string[] = [];
  await waitUntil(async () => (left = await open()).length === 0 || undefined, {
    what: () => `the workers’ connections closed (still open: ${left.map((line) => line.replace(/^.*?(name=\S+).*?(age=\d+).*?(cmd=\S+).*$/, '$1 $2 $3')).join('; ')})`,
  });
  await new Promise((resolve) => setImmediate(resolve));
}

// Seen in CI: an unhandled "Connection is closed." from ioredis, no command in its stack, from a
// worker closed right after it started. It was the handshake (INFO) of a BullMQ Worker's
// blocking connection, cut short by close (taskforcesh/bullmq#3546; see handshaken in @neonops/redis).
describe('a worker closed right after it started', () => {
  it(`startWorker then close at once, ${ROUNDS} times: no unhandled rejection`, { timeout: 120_000 }, async () => {
    const rejections = recordUnhandledRejections();
    const redis = useTestRedis('close-at-once');
    const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 } });
    onTestFinished(() => sim.close());
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    const secretsKey = SecretBox.generateKey();
    for (let round = 0; round < ROUNDS; round++) {
      const config = loadConfig({
        REDIS_URL: redis.url,
        KEY_PREFIX: `${redis.prefix}${round}:`,
        NEON_API_KEY: sim.apiKey,
        NEON_BASE_URL: sim.url,
        SECRETS_KEY: secretsKey,
        WORKER_HTTP_PORT: '0',
        WORKER_HTTP_HOST: '127.0.0.1',
      });
      const running = await startWorker(config, {
        logger: createLogger({ level: 'info', destination: quiet }),
        metrics: new WorkerMetrics(createMetricsRegistry({ defaultMetrics: false })),
      });
      await running.close();
    }
    await connectionsGone(redis, redis.connect());
    expect(rejections.messages()).toEqual([]);
  });

  it(`an intent worker built and closed at once, ${ROUNDS} times: no unhandled rejection`, { timeout: 60_000 }, async () => {
    const rejections = recordUnhandledRejections();
    const h = await startHarness();
    const client = h.redis.connect();
    for (let round = 0; round < ROUNDS; round++) {
      const { worker } = h.startWorker();
      // 0 to 3 round trips on another connection: the worker’s own are then at some point of their handshake.
      for (let i = 0; i < round % 4; i++) await client.ping();
      await worker.close(5000);
    }
    await connectionsGone(h.redis, client);
    expect(rejections.messages()).toEqual([]);
  });
});
