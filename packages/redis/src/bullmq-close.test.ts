import { spawnRedisServer } from '@neonops/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { closeWorker } from './bullmq-close.js';
import { handshaken } from './bullmq-handshake.js';
import { closeRedis } from './close.js';

/**
 * A worker on its own `redis-server` whose connections wait a minute between reconnect
 * attempts: once Redis is gone, its blocking client sits in `reconnecting` for that minute.
 */
async function workerOnOwnRedis(processor: () => Promise<string> = async () => 'done') {
  const server = await spawnRedisServer();
  onTestFinished(() => server.stop());
  const connection = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 60_000 });
  connection.on('error', () => undefined);
  onTestFinished(() => closeRedis(connection).then(() => undefined));
  const worker = new Worker('close-test', processor, { connection, prefix: 'close-test' });
  worker.on('error', () => undefined);
  await handshaken(worker);
  // What closeWorker reads: BullMQ keeps it out of its typings.
  const blocking = (worker as unknown as { blockingConnection: { _client: Redis } }).blockingConnection._client;
  return { server, worker, blocking };
}

/** Resolves when `client` has lost its connection and waits for its next attempt. */
function reconnecting(client: Redis): Promise<void> {
  return new Promise((resolve) => (client.status === 'reconnecting' ? resolve() : client.once('reconnecting', () => resolve())));
}

describe('closeWorker', () => {
  // Without it, `worker.close()` never resolves in both cases below: the test times out.
  it('closes a worker whose blocking connection waits to reconnect while Redis is away', { timeout: 20_000 }, async () => {
    const { server, worker, blocking } = await workerOnOwnRedis();
    await server.stop();
    await reconnecting(blocking);
    await closeWorker(worker);
    expect(blocking.status).toBe('end');
    expect(worker.isRunning()).toBe(false);
  });

  it('closes it when Redis is back but the blocking connection has not tried again yet', { timeout: 20_000 }, async () => {
    const { server, worker, blocking } = await workerOnOwnRedis();
    await server.stop();
    await reconnecting(blocking);
    const back = await spawnRedisServer({ port: Number(new URL(server.url).port) });
    onTestFinished(() => back.stop());
    expect(blocking.status).toBe('reconnecting');
    await closeWorker(worker);
    expect(blocking.status).toBe('end');
    expect(worker.isRunning()).toBe(false);
  });

  it('still lets a running job finish first, as Worker.close() does', { timeout: 20_000 }, async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { server, worker } = await workerOnOwnRedis(async () => {
      started();
      await released;
      return 'finished';
    });
    const queueConnection = new Redis(server.url, { maxRetriesPerRequest: null });
    onTestFinished(() => closeRedis(queueConnection).then(() => undefined));
    const queue = new Queue('close-test', { connection: queueConnection, prefix: 'close-test' });
    onTestFinished(() => queue.close());
    const job = await queue.add('slow', {});
    await running;
    const closingStarted = new Promise<void>((resolve) => worker.once('closing', () => resolve()));
    let closed = false;
    const closing = closeWorker(worker).then(() => (closed = true));
    await closingStarted;
    expect(closed).toBe(false);
    release();
    await closing;
    expect(await queue.getJobState(job.id!)).toBe('completed');
    expect((await queue.getJob(job.id!))?.returnvalue).toBe('finished');
  });
});
