import { Writable } from 'node:stream';
import { SecretBox } from '@neonops/intents';
import { recordUnhandledRejections, useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { TeamDirectory } from './teams/team-directory.js';

const ROUNDS = 30;

// Seen in CI on a Redis Cluster: an unhandled "Cluster is ended." after the stack's tests. It
// was the handshake (INFO) of one of the API's BullMQ queues, cut short by the API's close
// (taskforcesh/bullmq#3546; see handshakenWithin in @neonops/redis).
describe('an API closed right after it was built', () => {
  it(`buildApp then close at once, ${ROUNDS} times: no unhandled rejection`, { timeout: 120_000 }, async () => {
    const rejections = recordUnhandledRejections();
    const redis = useTestRedis('api-close-at-once');
    const client = redis.connect();
    const connections: { status: string }[] = [];
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    const secretBox = new SecretBox(SecretBox.generateKey());
    for (let round = 0; round < ROUNDS; round++) {
      const app = await buildApp({
        redis: { url: redis.url },
        keyPrefix: `${redis.prefix}${round}:`,
        secretBox,
        logger: createLogger('info', quiet),
        probeNeon: async () => ({ ok: true }),
        teams: new TeamDirectory([]),
      });
      // 0 to 3 round trips on another connection: the app's own are then at some point of their handshake.
      for (let i = 0; i < round % 4; i++) await client.ping();
      connections.push(app.redis, app.queueRedis);
      await app.close();
    }
    // A handshake cut short rejects when its socket has closed: wait for every connection's end, then one more turn.
    // Every connection must end: a cluster connection left `disconnecting` (a node its pool made while it quit)
    // kept a socket open; the API closes them with closeRedis (see @neonops/redis).
    await waitUntil(() => connections.every((c) => c.status === 'end') || undefined, {
      what: () => `the apps’ connections ended (not ended: ${connections.map((c, i) => (c.status === 'end' ? '' : `#${i} ${c.status} nodes=${JSON.stringify(((c as unknown as { nodes?: () => { status: string; options: { port: number } }[] }).nodes?.() ?? []).map((n) => [n.options.port, n.status]))} pool=${JSON.stringify(Object.keys((c as unknown as { connectionPool?: { nodes: { all: object } } }).connectionPool?.nodes.all ?? {}))}`)).filter(Boolean).join(', ')})`,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections.messages()).toEqual([]);
  });
});
