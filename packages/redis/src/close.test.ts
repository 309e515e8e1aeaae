import { createServer, type Server } from 'node:net';
import { spawnRedisCluster, useTestRedis, type TestRedisCluster } from '@neonops/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { closeRedis, createRedis } from './index.js';

/** The pool of a cluster connection (ioredis internals: only to play the race below). */
interface WithPool {
  connectionPool: { findOrCreate(node: { host: string; port: number }, readOnly?: boolean): Redis };
  nodes(): Redis[];
}

describe('closeRedis', () => {
  it('ends one Redis whatever its state: ready, never connected, still connecting without an offline queue; stops one retrying', async () => {
    const t = useTestRedis('close');
    const ready = new Redis(t.url);
    await ready.ping();
    expect(await closeRedis(ready)).toBe(true);
    expect(ready.status).toBe('end');

    const lazy = new Redis(t.url, { lazyConnect: true });
    let lazyConnected = false;
    lazy.on('connect', () => (lazyConnected = true));
    expect(await closeRedis(lazy)).toBe(true);
    expect(lazy.status).toBe('end');

    // QUIT on a connection still connecting without an offline queue is refused, and the
    // connection went on to become ready (plain `quit()` left it open for good).
    const connecting = new Redis(t.url, { enableOfflineQueue: false, lazyConnect: true });
    void connecting.connect().catch(() => undefined);
    expect(connecting.status).toBe('connecting');
    expect(await closeRedis(connecting)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(connecting.status).toBe('end');
    expect(lazyConnected).toBe(false); // 200 ms on, the lazy one never connected either

    // Nothing listens: it keeps retrying until closed.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const retrying = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    retrying.on('error', () => undefined);
    await new Promise((resolve) => retrying.once('reconnecting', resolve));
    let attempts = 0;
    retrying.on('reconnecting', () => (attempts += 1));
    await closeRedis(retrying);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(attempts).toBe(0); // its next attempt was cancelled: no timer, no socket
  });
});

describe('closeRedis on a Redis Cluster', () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('ends a cluster whose pool gained a node while it quit (a slot refresh or redirection racing the close)', async () => {
    const port = Number(/:(\d+)/.exec(cluster.url)?.[1]);
    const race = async (close: (c: Redis) => Promise<unknown>) => {
      const c = createRedis(cluster.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
      onTestFinished(() => c.disconnect());
      await new Promise((resolve) => c.once('ready', resolve));
      await c.ping();
      const closing = close(c);
      // The node the race adds: made by the pool after QUIT went to the nodes it had.
      (c as unknown as WithPool).connectionPool.findOrCreate({ host: 'localhost', port });
      await closing;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return c;
    };
    // What plain quit leaves: a cluster that never ends.
    const plain = await race((c) => c.quit());
    expect(plain.status).toBe('disconnecting');
    const closed = await race((c) => closeRedis(c, 500));
    expect(closed.status).toBe('end');
    expect((closed as unknown as WithPool).nodes()).toEqual([]);
  });
});
